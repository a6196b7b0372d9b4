package token

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const testAud = "https://example.com"

// fakeClock is a settable clock for deterministic time tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time          { return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func testKey(id byte) Key {
	return Key{ID: id, Secret: bytes.Repeat([]byte{id + 1}, KeySize)}
}

func newTestSealer(t testing.TB, clk *fakeClock, mod func(*SealerConfig)) *Sealer {
	t.Helper()
	cfg := SealerConfig{Keys: []Key{testKey(1)}, Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSealer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, nil)
	in := Claims{Subject: "anonymous.1@anonymous.invalid", Destination: "sales", Audience: testAud}
	tok, sealed, err := s.SealClaims(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed.ID) != 32 || !sealed.IssuedAt.Equal(clk.t) || !sealed.NotBefore.Equal(clk.t) ||
		!sealed.Expiry.Equal(clk.t.Add(DefaultLifetime)) {
		t.Fatalf("defaults not filled: %+v", sealed)
	}
	if strings.ContainsAny(tok, "+/=") {
		t.Fatalf("not unpadded base64url: %s", tok)
	}
	got, err := s.Open(context.Background(), tok, testAud)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != sealed.ID || got.Subject != in.Subject || got.Destination != in.Destination ||
		got.Audience != in.Audience || !got.IssuedAt.Equal(sealed.IssuedAt) ||
		!got.NotBefore.Equal(sealed.NotBefore) || !got.Expiry.Equal(sealed.Expiry) {
		t.Fatalf("got %+v, want %+v", got, sealed)
	}
	// Two seals of the same claims differ (random nonce and ID).
	tok2, _ := s.Seal(in)
	if tok2 == tok {
		t.Fatal("identical tokens")
	}
}

func TestOpenTimeChecks(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	ctx := context.Background()
	cases := []struct {
		name    string
		claims  Claims
		advance time.Duration
		want    error
	}{
		{"fresh", Claims{}, 0, nil},
		{"at expiry+skew", Claims{}, DefaultLifetime + DefaultSkew, nil},
		{"expired", Claims{}, DefaultLifetime + DefaultSkew + time.Second, ErrExpired},
		{"not before, within skew", Claims{NotBefore: start.Add(DefaultSkew)}, 0, nil},
		{"not yet valid", Claims{NotBefore: start.Add(DefaultSkew + time.Second)}, 0, ErrNotYetValid},
		{"not yet valid, then valid", Claims{NotBefore: start.Add(time.Minute)}, time.Minute, nil},
		{"issued in the future", Claims{IssuedAt: start.Add(DefaultSkew + time.Second)}, 0, ErrNotYetValid},
		{"issued in the past, still valid", Claims{IssuedAt: start.Add(-time.Minute)}, 0, nil},
	}
	for _, c := range cases {
		clk := &fakeClock{start}
		s := newTestSealer(t, clk, nil)
		c.claims.Audience = testAud
		tok, err := s.Seal(c.claims)
		if err != nil {
			t.Fatalf("%s: seal: %v", c.name, err)
		}
		clk.Advance(c.advance)
		if _, err := s.Open(ctx, tok, testAud); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestOpenSkewConfig(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, func(c *SealerConfig) { c.Skew = -1 }) // no tolerance
	tok, _ := s.Seal(Claims{Audience: testAud})
	clk.Advance(DefaultLifetime + time.Second)
	if _, err := s.Open(context.Background(), tok, testAud); !errors.Is(err, ErrExpired) {
		t.Fatalf("skew disabled: %v", err)
	}
	s = newTestSealer(t, clk, func(c *SealerConfig) { c.Skew = 5 * time.Minute })
	tok, _ = s.Seal(Claims{Audience: testAud})
	clk.Advance(DefaultLifetime + 4*time.Minute)
	if _, err := s.Open(context.Background(), tok, testAud); err != nil {
		t.Fatalf("5m skew: %v", err)
	}
}

func TestOpenAudience(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, func(c *SealerConfig) { c.AllowReplay = true })
	tok, _ := s.Seal(Claims{Audience: testAud})
	for _, aud := range []string{"", "https://example.com.evil.net", "http://example.com", "https://example.com:8443", "https://EXAMPLE.com", "null"} {
		if _, err := s.Open(context.Background(), tok, aud); !errors.Is(err, ErrWrongAudience) {
			t.Errorf("audience %q: %v", aud, err)
		}
	}
	if _, err := s.Open(context.Background(), tok, testAud); err != nil {
		t.Error(err)
	}
}

func TestKeyRotation(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	ctx := context.Background()
	oldS := newTestSealer(t, clk, func(c *SealerConfig) { c.Keys = []Key{testKey(1)}; c.AllowReplay = true })
	newS := newTestSealer(t, clk, func(c *SealerConfig) { c.Keys = []Key{testKey(2), testKey(1)}; c.AllowReplay = true })
	onlyNew := newTestSealer(t, clk, func(c *SealerConfig) { c.Keys = []Key{testKey(2)}; c.AllowReplay = true })

	oldTok, _ := oldS.Seal(Claims{Audience: testAud})
	newTok, _ := newS.Seal(Claims{Audience: testAud})
	if _, err := newS.Open(ctx, oldTok, testAud); err != nil {
		t.Errorf("ring rejects token under old key: %v", err)
	}
	if _, err := newS.Open(ctx, newTok, testAud); err != nil {
		t.Errorf("ring rejects own token: %v", err)
	}
	if _, err := oldS.Open(ctx, newTok, testAud); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("unknown key id: got %v, want ErrInvalidToken", err)
	}
	if _, err := onlyNew.Open(ctx, oldTok, testAud); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("retired key: got %v, want ErrInvalidToken", err)
	}
	// Same ID, different secret: the AEAD fails, same error.
	imposter := newTestSealer(t, clk, func(c *SealerConfig) {
		c.Keys = []Key{{ID: 1, Secret: bytes.Repeat([]byte{9}, KeySize)}}
	})
	if _, err := imposter.Open(ctx, oldTok, testAud); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("wrong secret: %v", err)
	}
}

func TestReplay(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	ctx := context.Background()
	store := NewMemoryReplayStore(10)
	store.Now = clk.Now
	s := newTestSealer(t, clk, func(c *SealerConfig) { c.Replay = store })
	tok, _ := s.Seal(Claims{Audience: testAud})
	// A failed check does not use the token up.
	if _, err := s.Open(ctx, tok, "https://other.example"); !errors.Is(err, ErrWrongAudience) {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, tok, testAud); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := s.Open(ctx, tok, testAud); !errors.Is(err, ErrReplayed) {
		t.Fatalf("second use: %v", err)
	}

	// The default (nil Replay) is single-use too.
	d := newTestSealer(t, clk, nil)
	tok, _ = d.Seal(Claims{Audience: testAud})
	if _, err := d.Open(ctx, tok, testAud); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, tok, testAud); !errors.Is(err, ErrReplayed) {
		t.Fatalf("default store: second use: %v", err)
	}
	// AllowReplay turns it off.
	a := newTestSealer(t, clk, func(c *SealerConfig) { c.AllowReplay = true })
	tok, _ = a.Seal(Claims{Audience: testAud})
	for range 3 {
		if _, err := a.Open(ctx, tok, testAud); err != nil {
			t.Fatal(err)
		}
	}
}

type failingStore struct{}

func (failingStore) Use(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("database down")
}

func TestReplayStoreErrorRefuses(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, func(c *SealerConfig) { c.Replay = failingStore{} })
	tok, _ := s.Seal(Claims{Audience: testAud})
	if _, err := s.Open(context.Background(), tok, testAud); err == nil || !strings.Contains(err.Error(), "database down") {
		t.Fatalf("got %v", err)
	}
}

func TestOpenGarbage(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, func(c *SealerConfig) { c.AllowReplay = true })
	tok, _ := s.Seal(Claims{Subject: "s", Destination: "d", Audience: testAud})
	bad := []string{
		"", "A", "AQ", "not base64 at all!", strings.Repeat("A", 5000), tok + "A", tok + "AA",
		tok + "=", "=" + tok, tok[1:], " " + tok, tok + "\n", tok[:10] + "\r\n" + tok[10:], "\n" + tok,
	}
	for i := 1; i < len(tok); i++ {
		bad = append(bad, tok[:i]) // every truncation
	}
	for _, b := range bad {
		if b == tok {
			continue
		}
		if _, err := s.Open(context.Background(), b, testAud); err != ErrInvalidToken {
			t.Errorf("Open(%.40q...) = %v, want exactly ErrInvalidToken", b, err)
		}
	}
}

// TestOpenRejectsEveryBitFlip flips each bit of the token string, and each
// bit of the decoded bytes, and wants exactly ErrInvalidToken every time:
// header, nonce, ciphertext and tag are all covered, and strict base64
// leaves no second spelling of the same bytes.
func TestOpenRejectsEveryBitFlip(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, func(c *SealerConfig) { c.Keys = []Key{testKey(1), testKey(0), testKey(3)}; c.AllowReplay = true })
	tok, _ := s.Seal(Claims{Subject: "anonymous.7@anonymous.invalid", Destination: "sales", Audience: testAud})
	ctx := context.Background()
	n := 0
	for i := range len(tok) {
		for bit := range 8 {
			b := []byte(tok)
			b[i] ^= 1 << bit
			if _, err := s.Open(ctx, string(b), testAud); err != ErrInvalidToken {
				t.Fatalf("string byte %d bit %d: %v", i, bit, err)
			}
			n++
		}
	}
	raw, err := s.enc.DecodeString(tok)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(raw) {
		for bit := range 8 {
			b := bytes.Clone(raw)
			b[i] ^= 1 << bit
			if _, err := s.Open(ctx, s.enc.EncodeToString(b), testAud); err != ErrInvalidToken {
				t.Fatalf("raw byte %d bit %d: %v", i, bit, err)
			}
			n++
		}
	}
	if _, err := s.Open(ctx, tok, testAud); err != nil {
		t.Fatalf("original: %v", err)
	}
	t.Logf("%d single-bit flips rejected", n)
}

func TestSealLimits(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	clk := &fakeClock{start}
	s := newTestSealer(t, clk, nil)
	cases := []struct {
		name string
		c    Claims
		want error
	}{
		{"no audience", Claims{}, ErrClaims},
		{"long subject", Claims{Audience: testAud, Subject: strings.Repeat("s", MaxClaimLen+1)}, ErrClaims},
		{"lifetime over max", Claims{Audience: testAud, Expiry: start.Add(DefaultMaxLifetime + time.Second)}, ErrLifetime},
		{"expiry before issue", Claims{Audience: testAud, Expiry: start.Add(-time.Second)}, ErrLifetime},
		{"expiry before not-before", Claims{Audience: testAud, NotBefore: start.Add(3 * time.Minute)}, ErrLifetime},
	}
	for _, c := range cases {
		if _, err := s.Seal(c.c); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := s.Seal(Claims{Audience: testAud, Subject: strings.Repeat("s", MaxClaimLen),
		Destination: strings.Repeat("d", MaxClaimLen), Expiry: start.Add(DefaultMaxLifetime)}); err != nil {
		t.Errorf("largest claims: %v", err)
	}

	// A token sealed under a looser MaxLifetime (same key) is refused by
	// an opener with the default.
	loose := newTestSealer(t, clk, func(c *SealerConfig) { c.MaxLifetime = time.Hour })
	tok, err := loose.Seal(Claims{Audience: testAud, Expiry: start.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), tok, testAud); !errors.Is(err, ErrLifetime) {
		t.Errorf("open long-lived token: %v", err)
	}
}

func TestNewSealerConfig(t *testing.T) {
	bad := []struct {
		name string
		cfg  SealerConfig
		want error
	}{
		{"no keys", SealerConfig{}, ErrConfig},
		{"short key", SealerConfig{Keys: []Key{{ID: 1, Secret: make([]byte, 31)}}}, ErrKeySize},
		{"long key", SealerConfig{Keys: []Key{{ID: 1, Secret: make([]byte, 33)}}}, ErrKeySize},
		{"duplicate id", SealerConfig{Keys: []Key{testKey(1), testKey(1)}}, ErrConfig},
		{"lifetime > max", SealerConfig{Keys: []Key{testKey(1)}, Lifetime: time.Hour}, ErrConfig},
		{"negative lifetime", SealerConfig{Keys: []Key{testKey(1)}, Lifetime: -1}, ErrConfig},
	}
	for _, c := range bad {
		if _, err := NewSealer(c.cfg); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// The key is copied: changing the caller's slice changes nothing.
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	secret := bytes.Repeat([]byte{7}, KeySize)
	s, err := NewSealer(SealerConfig{Keys: []Key{{ID: 4, Secret: secret}}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := s.Seal(Claims{Audience: testAud})
	clear(secret)
	if _, err := s.Open(context.Background(), tok, testAud); err != nil {
		t.Fatalf("key not copied: %v", err)
	}
}

func TestZeroSealer(t *testing.T) {
	var s Sealer
	if _, err := s.Seal(Claims{Audience: testAud}); !errors.Is(err, ErrConfig) {
		t.Errorf("seal: %v", err)
	}
	if _, err := s.Open(context.Background(), "AQE", testAud); err != ErrInvalidToken {
		t.Errorf("open: %v", err)
	}
}
