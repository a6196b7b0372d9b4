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
// Sealer's key made; every other input is exactly ErrInvalidToken.
func FuzzOpen(f *testing.F) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s, err := NewSealer(SealerConfig{Keys: []Key{testKey(1), testKey(2)}, Now: clk.Now, AllowReplay: true})
	if err != nil {
		f.Fatal(err)
	}
	// fuzzOpenTokens were sealed once by testKey(1) at Unix 1_800_000_000 (the
	// fuzz Sealer's fixed clock). They are constants because every fuzz worker
	// process runs the setup again, and a freshly sealed seed would differ.
	fuzzOpenTokens := [...]string{
		"AQFOPa0CtRMrzfNwy4grfi5d-aGbXRb0NCJvmIwJMlqp4mFzX_gMrcjN3LyzInyXuN17N0bKSDJue252Xw8dL5ssmSFlJQZAWUP7DCawDp9ET3MM3-UO3VqWm7Wc_-IAULGCTXlFBlKjBvCYUAOXEvKNz_iwYF_CIfLPi2Q",
		"AQFkWeGcMCJmO_X5Ytc8rjx3mt65is-oot6MFUl4YoJpr3zF2cB00Uxmub_Uh1Ubk_jjlRe0J5I-XkDLAmkCZIOiV3CYU_xWXYENF2syHoknQhljuhFiEXw_fAzpub_GG478_LWNAbx8BgAyLy15M74Xn-4LubfNQVV7EKaDVhhUgaB7Lri-ArwtERs-b2VAKZPoIy-FrBeCUpTJcsec",
		"AQGYSBmITlLvw5mUuWPEztarrkRIyM0Y_wMQ0A6pZctDNlgS3nHdlzGQwZ6BGsLLxcRHWtcQjBozziJKQYiwKamL0UlY1FXFbtqOUpyQgTUR-JqBbF-XcMGOJ3woGCc23l4Vr1YrvRQDg1dD4Wrj9y9IHWPusnYv5cgii_RwY68eHMlwn0As-nGIRZZQT03tVPVEOJagMOfE8URtHT7nYuyzmI2cm2jEBQpe8NUwgSaNqjBdtODJno1ppliQ7bMzJwVlvfVQUuzs7lHghCmcf_Q-aS5r4siEpq_1LqPNSZterDn0Mwh4V5qvNeFo7te_-q3SyniKY1u6wzImHwr94qtQi3uXhoM5A7mP8EEWsaXFwLGTuOftEiimUFeHlKGzMbgqwoR_iIWK9DKpMo57TlWc81hId8xdQT91nrkrxzzDtyGVNLkHzuSihQDngxk9cYaOGB8ouvYX5IHUvj_Ktfpoe83l8rDSZMqYhCfcJ3q7HI7kZTYStbCxPzA75Uu4FScfXwyPcSGD0i1W212ZWIFtAASyKBKW-Egqeb-_Bw",
	}
	valid := map[string]bool{}
	for _, tok := range fuzzOpenTokens {
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
