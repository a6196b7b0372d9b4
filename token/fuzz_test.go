package token

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzKandyVerify: Verify never panics, fails only with the documented
// sentinels, and anything it accepts is exactly what EncryptLegacy makes of
// the decrypted text (the encoding is canonical apart from hex case).
func FuzzKandyVerify(f *testing.F) {
	key := []byte("0123456789abcdef")
	k, err := NewKandyLegacy(key, "realm1", 5*time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	now := time.UnixMilli(1700000000000)
	for _, v := range readKandyVectors(f) {
		f.Add(v.cipherHex)
	}
	f.Add("")
	f.Add("0")
	f.Add(strings.Repeat("ff", 16))
	known := []error{ErrKandyEncoding, ErrKandyPadding, ErrKandyFormat, ErrKandyExpired, ErrKandyNotYetValid}
	f.Fuzz(func(t *testing.T, tok string) {
		kt, err := k.Verify(tok, now)
		if err != nil {
			for _, e := range known {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("undocumented error %v", err)
		}
		plain, err := k.DecryptLegacy(tok)
		if err != nil {
			t.Fatalf("verified but does not decrypt: %v", err)
		}
		if again := k.EncryptLegacy(plain); again != strings.ToLower(tok) {
			t.Fatalf("not canonical: %q -> %q -> %q", tok, plain, again)
		}
		if kt.UserID == "" || strings.Contains(kt.UserID, ";") {
			t.Fatalf("bad user id accepted: %+v", kt)
		}
	})
}

// FuzzOpen: Open never panics, and accepts nothing but the tokens the
// Sealer itself made; every other input is exactly ErrInvalidToken.
func FuzzOpen(f *testing.F) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s, err := NewSealer(SealerConfig{Keys: []Key{testKey(1), testKey(2)}, Now: clk.Now, AllowReplay: true})
	if err != nil {
		f.Fatal(err)
	}
	valid := map[string]bool{}
	for _, c := range []Claims{
		{Audience: testAud},
		{Subject: "anonymous.1@anonymous.invalid", Destination: "sales", Audience: testAud},
		{Subject: strings.Repeat("x", 300), Destination: "sip:100@127.0.0.1", Audience: testAud, ID: "fixed"},
	} {
		tok, err := s.Seal(c)
		if err != nil {
			f.Fatal(err)
		}
		valid[tok] = true
		f.Add(tok)
		f.Add(tok[:len(tok)/2])
	}
	f.Add("")
	f.Add("AQE")
	f.Add(strings.Repeat("A", 80))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Open(ctx, tok, testAud)
		if valid[tok] {
			if err != nil {
				t.Fatalf("own token refused: %v", err)
			}
			return
		}
		if err != ErrInvalidToken {
			t.Fatalf("forged or mutated token: claims %+v, err %v", c, err)
		}
	})
}

// FuzzClaimsBinary: the claims parser is strict, so whatever it accepts
// re-encodes to the same bytes.
func FuzzClaimsBinary(f *testing.F) {
	c := Claims{ID: "id", Subject: "s", Destination: "d", Audience: testAud,
		IssuedAt: time.Unix(1, 0), NotBefore: time.Unix(2, 0), Expiry: time.Unix(3, 0)}
	f.Add(c.appendBinary(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Claims
		if !c.parseBinary(b) {
			return
		}
		if again := c.appendBinary(nil); string(again) != string(b) {
			t.Fatalf("%x re-encodes as %x", b, again)
		}
	})
}

// FuzzParseOrigin: normalisation is idempotent and an allow-list of one
// origin allows exactly the inputs that normalise to it.
func FuzzParseOrigin(f *testing.F) {
	for _, s := range []string{"https://example.com", "HTTP://[::1]:80", "https://example.com.evil.net", "null", "https://a:1"} {
		f.Add(s)
	}
	o, err := ParseOrigins("https://example.com")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseOrigin(s)
		if err != nil {
			if o.Allowed(s) {
				t.Fatalf("unparsable %q allowed", s)
			}
			return
		}
		if n2, err := ParseOrigin(n); err != nil || n2 != n {
			t.Fatalf("%q -> %q -> %q, %v", s, n, n2, err)
		}
		if o.Allowed(s) != (n == "https://example.com") {
			t.Fatalf("%q (normalised %q): Allowed=%v", s, n, o.Allowed(s))
		}
	})
}
