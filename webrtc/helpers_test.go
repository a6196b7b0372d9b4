package webrtc

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/sip"
	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

const (
	testOrigin = "https://shop.example.com"
	testCallee = "sip:sales@example.com"
)

// bed is one gateway on real loopback HTTP with a real sip.Dialer.
type bed struct {
	t      testing.TB
	gw     *Gateway
	srv    *httptest.Server
	sealer *token.Sealer
	dialer *sip.Dialer
	rec    *recordingDialer
	lite   bool // Config.ICELite: every answer must be ICE-lite
}

// recordingDialer remembers what the gateway asked the real dialer for.
type recordingDialer struct {
	inner sipDialer
	mu    sync.Mutex
	reqs  []dialRequest
}

func (r *recordingDialer) dial(ctx context.Context, req dialRequest) (sipCall, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	return r.inner.dial(ctx, req)
}

func (r *recordingDialer) requests() []dialRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]dialRequest(nil), r.reqs...)
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// newBed starts a gateway whose default proxy is sipProxy ("host:port").
func newBed(t testing.TB, sipProxy string, mutate func(*Config)) *bed {
	t.Helper()
	key := make([]byte, token.KeySize)
	_, _ = rand.Read(key)
	sealer, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		t.Fatal(err)
	}
	origins, err := token.ParseOrigins(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dialer, err := sip.NewDialer(ctx, sip.DialerConfig{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Dialer: dialer, Sealer: sealer, Origins: origins,
		Policy: &anon.Policy{Domains: []string{"example.com"}},
		Proxy:  sipProxy,
		Logger: testLogger(t),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	rec := &recordingDialer{inner: dialerAdapter{dialer}}
	gw, err := newGateway(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	b := &bed{t: t, gw: gw, srv: httptest.NewServer(gw), sealer: sealer, dialer: dialer, rec: rec, lite: cfg.ICELite}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gw.Close(ctx); err != nil {
			t.Errorf("gateway close: %v", err)
		}
		b.srv.Close()
		_ = dialer.Close()
	})
	return b
}

// token seals a fresh call token for testOrigin and testCallee.
func (b *bed) token() string {
	b.t.Helper()
	id, err := anon.NewIdentity("")
	if err != nil {
		b.t.Fatal(err)
	}
	tok, err := b.sealer.Seal(token.Claims{Subject: id.URI(), Destination: testCallee, Audience: testOrigin})
	if err != nil {
		b.t.Fatal(err)
	}
	return tok
}

func (b *bed) dial(ctx context.Context, o pageclient.Options) (*pageclient.Client, error) {
	if o.URL == "" {
		o.URL = b.srv.URL + "/call"
	}
	c, err := pageclient.Dial(ctx, o)
	if err != nil {
		return nil, err
	}
	// Make sure the engine under test is the one that answered.
	if rd := c.PC.RemoteDescription(); !o.SkipAnswer && rd != nil && strings.Contains(rd.SDP, "a=ice-lite") != b.lite {
		c.Close()
		return nil, fmt.Errorf("answer from the wrong engine (lite %v):\n%s", b.lite, rd.SDP)
	}
	return c, nil
}

// answeredCall places a call from the test origin with a fresh token and
// waits until the page hears "answered"; the page closes at test cleanup.
// onRTP, if not nil, receives the RTP the page gets.
func (b *bed) answeredCall(ctx context.Context, onRTP func(pkt []byte)) *pageclient.Client {
	b.t.Helper()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), OnRTP: onRTP})
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { c.Close() })
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		b.t.Fatal(err)
	}
	return c
}

// waitSIPLegEnded waits until the echo's first call has ended (BYE or
// CANCEL seen); what names the failure.
func waitSIPLegEnded(t testing.TB, ctx context.Context, echo *sipecho.Server, what string) {
	t.Helper()
	select {
	case <-echo.Calls()[0].Done():
	case <-ctx.Done():
		t.Fatal(what)
	}
}

func startEcho(t testing.TB, opts sipecho.Options) *sipecho.Server {
	t.Helper()
	s, err := sipecho.Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// engine is the page-side media engine a test runs the gateway with.
type engine struct {
	name   string
	lite   bool // Config.ICELite
	shared bool // Config.ICELiteShared
	sip    bool // Config.RTPShared
}

// forEachEngine runs test as a subtest per engine: "pion" (the
// PeerConnection), "lite" (Config.ICELite) and "liteshared" (with
// Config.ICELiteShared), and "pion+rtpshared" and "liteshared+rtpshared"
// with Config.RTPShared.
func forEachEngine(t *testing.T, test func(t *testing.T, e engine)) {
	for _, e := range []engine{{name: "pion"}, {name: "lite", lite: true}, {name: "liteshared", lite: true, shared: true},
		{name: "pion+rtpshared", sip: true}, {name: "liteshared+rtpshared", lite: true, shared: true, sip: true}} {
		t.Run(e.name, func(t *testing.T) { test(t, e) })
	}
}

// with returns a Config mutator selecting the engine, then applying
// mutate (which may be nil).
func (e engine) with(mutate func(*Config)) func(*Config) {
	return func(c *Config) {
		c.ICELite, c.ICELiteShared, c.RTPShared = e.lite, e.shared, e.sip
		if mutate != nil {
			mutate(c)
		}
	}
}
