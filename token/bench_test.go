package token

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func benchClaims() Claims {
	return Claims{Subject: "anonymous.1234567890@anonymous.invalid", Destination: "sales", Audience: "https://shop.example"}
}

func BenchmarkSeal(b *testing.B) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(b, clk, nil)
	c := benchClaims()
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := s.Seal(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures authentication and checks without a replay store.
func BenchmarkOpen(b *testing.B) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(b, clk, func(c *SealerConfig) { c.AllowReplay = true })
	tok, _ := s.Seal(benchClaims())
	ctx := context.Background()
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := s.Open(ctx, tok, "https://shop.example"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenReplayStore is Open with the default in-memory replay store:
// each iteration opens a distinct, fresh token once.
func BenchmarkOpenReplayStore(b *testing.B) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	store := NewMemoryReplayStore(1 << 22)
	store.Now = clk.Now
	s := newTestSealer(b, clk, func(c *SealerConfig) { c.Replay = store })
	toks := make([]string, 1<<16)
	for i := range toks {
		toks[i], _ = s.Seal(benchClaims())
	}
	ctx := context.Background()
	b.ReportAllocs()
	defer cpuPerOp(b)()
	i := 0
	for b.Loop() {
		if i == len(toks) {
			b.StopTimer()
			for j := range toks {
				toks[j], _ = s.Seal(benchClaims())
			}
			i = 0
			b.StartTimer()
		}
		if _, err := s.Open(ctx, toks[i], "https://shop.example"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkOpenInvalid(b *testing.B) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(b, clk, nil)
	tok, _ := s.Seal(benchClaims())
	bad := []byte(tok)
	bad[len(bad)/2] ^= 1
	ctx := context.Background()
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := s.Open(ctx, string(bad), "https://shop.example"); err != ErrInvalidToken {
			b.Fatal(err)
		}
	}
}

func BenchmarkKandyVerify(b *testing.B) {
	k, _ := NewKandyLegacy([]byte("0123456789abcdef"), "realm1", 5*time.Minute)
	now := time.UnixMilli(1700000000000)
	tok, _ := k.AddressToken("sales@support.example", now)
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if _, err := k.Verify(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOriginsAllowed(b *testing.B) {
	o, _ := ParseOrigins("https://example.com", "https://shop.example", "http://localhost:8080")
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		if !o.Allowed("https://shop.example") || o.Allowed("https://shop.example.evil.net") {
			b.Fatal("wrong answer")
		}
	}
}

func BenchmarkTURNCredentials(b *testing.B) {
	secret := []byte("north-turn-secret")
	now := time.Unix(1700000000, 0)
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		_ = TURNCredentials(secret, "0123456789abcdef0123456789abcdef", time.Hour, now, "turn:127.0.0.1:3478")
	}
}

// BenchmarkHandlerIssue is one token request through ServeHTTP, without the
// network.
func BenchmarkHandlerIssue(b *testing.B) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(b, clk, nil)
	o, _ := ParseOrigins("https://shop.example")
	h := &Handler{Sealer: s, Origins: o, Destination: "sales", TURNSecret: []byte("x"), TURNURLs: []string{"turn:127.0.0.1:3478"}}
	b.ReportAllocs()
	defer cpuPerOp(b)()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/token", nil)
		req.Header.Set("Origin", "https://shop.example")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
