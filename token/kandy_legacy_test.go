package token

import (
	"bufio"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

type kandyVector struct {
	key              []byte
	plain, cipherHex string
}

// readKandyVectors loads testdata/kandy-vectors.txt, made by
// testdata/gen-kandy-vectors.sh with the openssl CLI.
func readKandyVectors(t testing.TB) []kandyVector {
	t.Helper()
	f, err := os.Open("testdata/kandy-vectors.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []kandyVector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			t.Fatalf("bad vector line %q", sc.Text())
		}
		key, err := hex.DecodeString(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, kandyVector{key, parts[1], parts[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 10 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func mustKandy(t testing.TB, key []byte) *KandyLegacy {
	t.Helper()
	k, err := NewKandyLegacy(key, "realm1", 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKandyOpenSSLVectors(t *testing.T) {
	for _, v := range readKandyVectors(t) {
		k := mustKandy(t, v.key)
		if got := k.EncryptLegacy(v.plain); got != v.cipherHex {
			t.Errorf("encrypt %q:\n got %s\nwant %s", v.plain, got, v.cipherHex)
		}
		got, err := k.DecryptLegacy(v.cipherHex)
		if err != nil || got != v.plain {
			t.Errorf("decrypt %s = %q, %v; want %q", v.cipherHex, got, err, v.plain)
		}
		// Upper-case hex decrypts too; output is always lower case.
		if got, err := k.DecryptLegacy(strings.ToUpper(v.cipherHex)); err != nil || got != v.plain {
			t.Errorf("decrypt upper %q, %v", got, err)
		}
		// Re-create through the token constructors at the vector's timestamp.
		pt, err := parseKandyPlain(v.plain)
		if err != nil {
			t.Fatalf("vector %q does not parse: %v", v.plain, err)
		}
		mk := k.AccountToken
		if pt.SIP {
			mk = k.AddressToken
		}
		tok, err := mk(pt.UserID, pt.Timestamp)
		if err != nil || tok != v.cipherHex {
			t.Errorf("create %q = %s, %v; want %s", v.plain, tok, err, v.cipherHex)
		}
		vt, err := k.Verify(v.cipherHex, pt.Timestamp.Add(time.Minute))
		if err != nil || vt != pt {
			t.Errorf("verify %q = %+v, %v", v.plain, vt, err)
		}
	}
}

func TestKandyCredentials(t *testing.T) {
	key := []byte("0123456789abcdef")
	k := mustKandy(t, key)
	now := time.UnixMilli(1700000000000)
	c, err := k.Credentials("anonymous@realm.example", "sales@support.example", now)
	if err != nil {
		t.Fatal(err)
	}
	// Values from testdata/kandy-vectors.txt (openssl).
	want := KandyCredentials{
		AccountToken: "c862f799522108f49598ee8b7fdc1045504452814ab11db57dfb0d515d53d427347d215b6a9cb7923f25ee3a6c199336",
		FromToken:    "503f02706ce96596eefffdd227b30263027e343e89063af3a7b827dfb9961a49cffe0473c6be924b4e03885f2b854db5",
		ToToken:      "b2ac5faf3d9f8e01e18f3ca9a9651a58849f7d480f6df686f8cd4e193e32f03a04a2e31c6545c4ecd6477cc71405735f",
		Realm:        "realm1",
	}
	if c != want {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestKandyErrors(t *testing.T) {
	for _, n := range []int{0, 15, 17, 24, 32} {
		if _, err := NewKandyLegacy(make([]byte, n), "r", time.Minute); !errors.Is(err, ErrKandyKeySize) {
			t.Errorf("key of %d bytes: %v", n, err)
		}
	}
	if _, err := NewKandyLegacy(make([]byte, 16), "", time.Minute); !errors.Is(err, ErrConfig) {
		t.Errorf("empty realm: %v", err)
	}
	if _, err := NewKandyLegacy(make([]byte, 16), "r", 0); !errors.Is(err, ErrConfig) {
		t.Errorf("zero expiry: %v", err)
	}

	k := mustKandy(t, []byte("0123456789abcdef"))
	now := time.UnixMilli(1700000000000)
	good, _ := k.AddressToken("sales@support.example", now)
	cases := []struct {
		name, tok string
		want      error
	}{
		{"empty", "", ErrKandyEncoding},
		{"odd", good[:len(good)-1], ErrKandyEncoding},
		{"non-hex", "zz" + good[2:], ErrKandyEncoding},
		{"partial block", good[:len(good)-2], ErrKandyEncoding},
		{"too long", strings.Repeat("00", 600), ErrKandyEncoding},
		{"bad padding", good[:len(good)-32] + k.EncryptLegacy("0123456789abcdef")[:32], ErrKandyPadding},
		{"no separator", k.EncryptLegacy("sip:someone"), ErrKandyFormat},
		{"empty user", k.EncryptLegacy("sip:;1700000000000"), ErrKandyFormat},
		{"signed timestamp", k.EncryptLegacy("a;-1700000000000"), ErrKandyFormat},
		{"spaced timestamp", k.EncryptLegacy("a; 1700000000000"), ErrKandyFormat},
		{"huge timestamp", k.EncryptLegacy("a;9999999999999999999"), ErrKandyFormat},
		{"control char", k.EncryptLegacy("a\x00b;1700000000000"), ErrKandyFormat},
		{"expired", k.EncryptLegacy("a;1699999699999"), ErrKandyExpired},
		{"future", k.EncryptLegacy("a;1700000030001"), ErrKandyNotYetValid},
	}
	for _, c := range cases {
		if _, err := k.Verify(c.tok, now); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Boundaries: exactly expiry old and exactly skew ahead are accepted.
	for _, p := range []string{"a;1699999700000", "a;1700000030000"} {
		if _, err := k.Verify(k.EncryptLegacy(p), now); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, id := range []string{"", "a;b", "a b", "sip:x", strings.Repeat("a", 300)} {
		if _, err := k.AccountToken(id, now); !errors.Is(err, ErrKandyFormat) {
			t.Errorf("user id %q: %v", id, err)
		}
	}
}

// TestKandySpliceForgery documents the format's weakness: an attacker
// holding an expired token for the victim's queue and a fresh token for
// their own address builds a fresh token for the victim's queue, without
// the key, and Verify accepts it. The AEAD call token has no such hole
// (TestOpenRejectsEveryBitFlip).
func TestKandySpliceForgery(t *testing.T) {
	k := mustKandy(t, []byte("0123456789abcdef"))
	now := time.UnixMilli(1700000000000)
	// "sip:victim-queue@support.example" is exactly two AES blocks, so the
	// third block holds only ";timestamp" and padding.
	old, _ := k.AddressToken("victim-queue@support.example", time.UnixMilli(1600000000000))
	fresh, _ := k.AddressToken("attacker-xyz@support.example", now)
	if _, err := k.Verify(old, now); !errors.Is(err, ErrKandyExpired) {
		t.Fatalf("old token: %v", err)
	}
	forged := old[:64] + fresh[64:]
	got, err := k.Verify(forged, now)
	if err != nil {
		t.Fatalf("forgery rejected (%v): the weakness this test documents is gone?", err)
	}
	if got.UserID != "victim-queue@support.example" || !got.Timestamp.Equal(now) {
		t.Fatalf("forgery verified as %+v", got)
	}
	t.Logf("spliced token verified: %+v", got)
}

func TestKandyPaddingChecks(t *testing.T) {
	k := mustKandy(t, []byte("0123456789abcdef"))
	block := func(p string) string { return k.EncryptLegacy(p)[:32] } // one block, its own padding dropped
	for _, c := range []struct {
		last string
		ok   bool
	}{
		{"\x01", true}, {"\x02\x02", true}, {"\x03\x03\x03", true},
		{"\x00", false}, {"\x02\x03", false}, {"\x03\x02\x03", false}, {"\x11", false},
	} {
		p := strings.Repeat("a", 16-len(c.last)) + c.last
		_, err := k.DecryptLegacy(block(p))
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, ErrKandyPadding)) {
			t.Errorf("padding %q: %v", c.last, err)
		}
	}
	full := strings.Repeat("\x10", 16)
	if got, err := k.DecryptLegacy(block(full)); err != nil || got != "" {
		t.Errorf("full padding block: %q, %v", got, err)
	}
}
