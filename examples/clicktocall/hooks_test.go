package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/webdial/webdial/examples/internal/hookwire"
	"github.com/webdial/webdial/internal/testpeer"
	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc"
)

// hookBackend runs examples/resthook's backend on loopback and records the
// hook requests it gets.
type hookBackend struct {
	URL             string
	connects, calls atomic.Int32
	lastCall        atomic.Pointer[hookwire.Request]
	backend         atomic.Pointer[hookwire.Backend]
}

// allow replaces the backend's origin allow-list (a test learns the page's
// origin only once the app listens).
func (b *hookBackend) allow(t *testing.T, origins ...string) {
	t.Helper()
	o, err := token.ParseOrigins(origins...)
	if err != nil {
		t.Fatal(err)
	}
	next := *b.backend.Load()
	next.Origins = o
	b.backend.Store(&next)
}

func startHookBackend(t *testing.T, origins []string, d hookwire.Decision) *hookBackend {
	t.Helper()
	b := &hookBackend{}
	b.backend.Store(&hookwire.Backend{Decision: d})
	b.allow(t, origins...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, hookwire.MaxBody))
		switch r.URL.Path {
		case "/connect":
			b.connects.Add(1)
		case "/call":
			b.calls.Add(1)
			var req hookwire.Request
			if json.Unmarshal(raw, &req) == nil {
				b.lastCall.Store(&req)
			}
		}
		r.Body = io.NopCloser(strings.NewReader(string(raw)))
		b.backend.Load().Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

// webrtc.HTTPHooks, as clicktocall -hooks configures it, and the resthook
// backend understand each other: origins, overwritten decision, refusals.
func TestHTTPHooksSpeaksResthook(t *testing.T) {
	const secret = "hook-held-secret"
	b := startHookBackend(t, []string{"https://shop.example"}, hookwire.Decision{
		Callee: "10002", SIPDomain: "pbx.example", SIPLogin: "10001", SIPPassword: secret,
		SIPOutboundProxy: "10.0.0.1", SIPPort: "5070",
	})
	h := &webrtc.HTTPHooks{BaseURL: b.URL + "/"}
	ctx := context.Background()
	client := netip.MustParseAddr("127.0.0.1")

	if err := h.Connect(ctx, webrtc.ConnectRequest{Origin: "https://shop.example", ClientAddr: client}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	err := h.Connect(ctx, webrtc.ConnectRequest{Origin: "https://shop.example.evil.net"})
	if webrtc.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("foreign origin: %v (status %d), want 403", err, webrtc.StatusCode(err))
	}

	d, err := h.Call(ctx, webrtc.CallRequest{
		CallID: "c1", Origin: "https://shop.example", ClientAddr: client, Subject: "sip:anonymous.x@anonymous.invalid",
		PageCallee: "sip:+19005550100@evil.example", PageLogin: "attacker", PagePassword: "page-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := webrtc.CallDecision{Callee: "sip:10002@pbx.example", SIPLogin: "10001", SIPPassword: secret, Proxy: "10.0.0.1:5070"}
	if d != want {
		t.Fatalf("decision %+v, want %+v", d, want)
	}
	sent := b.lastCall.Load()
	if sent == nil || sent.SessionID != "c1" || sent.PageCallee != "sip:+19005550100@evil.example" {
		t.Fatalf("the gateway sent the backend %+v", sent)
	}
	if _, err := h.Call(ctx, webrtc.CallRequest{Origin: "https://evil.example"}); !errors.Is(err, webrtc.ErrForbidden) {
		t.Fatalf("call from a foreign origin: %v, want ErrForbidden", err)
	}
	for _, bad := range []string{"", "ftp://x", "127.0.0.1:8090", "http://"} {
		if err := checkHookURL(bad); err == nil {
			t.Errorf("checkHookURL(%q) accepted", bad)
		}
	}
}

// The hook backend's refusal reaches the page as 403 before any media is
// set up, even with a valid call token.
func TestHookRefusesCall(t *testing.T) {
	b := startHookBackend(t, []string{"https://only-this.example"}, hookwire.Decision{Callee: demoDestination})
	a := startApp(t, config{Demo: true, Destination: demoDestination, Hooks: b.URL})
	origin := strings.TrimSuffix(a.URL, "/")
	code, body := postToken(t, a.URL, origin)
	if code != 200 {
		t.Fatalf("token: %d %s", code, body)
	}
	var tok token.IssueResponse
	if err := json.Unmarshal([]byte(body), &tok); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, a.URL+"call", strings.NewReader("v=0\r\n"))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Origin", origin)
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || b.connects.Load() == 0 {
		t.Fatalf("call: %d after %d connect hooks, want 403 after at least one", res.StatusCode, b.connects.Load())
	}
	if st := a.Demo.Stats(); st.Calls != 0 {
		t.Fatalf("a refused call reached the destination: %+v", st)
	}
}

// TestBrowserCallThroughRESTHook is the end-to-end call with the decision
// taken by the REST hook backend (clicktocall -hooks URL); this time the
// destination hangs up.
func TestBrowserCallThroughRESTHook(t *testing.T) {
	chromium := testpeer.Lookup(t, "chromium")
	b := startHookBackend(t, []string{"http://127.0.0.1:1"}, hookwire.Decision{Callee: "demo", SIPDomain: "localhost", SIPLogin: "hook-user"})
	a := startApp(t, config{Demo: true, Destination: demoDestination, Hooks: b.URL})
	b.allow(t, strings.TrimSuffix(a.URL, "/"))
	browserCall(t, chromium, a, "clicktocall-in-call-resthook.png", true)
	if b.connects.Load() == 0 || b.calls.Load() != 1 {
		t.Fatalf("hook backend saw %d connects and %d calls, want >0 and 1", b.connects.Load(), b.calls.Load())
	}
	if req := b.lastCall.Load(); req == nil || req.Destination != demoDestination || !strings.HasPrefix(req.Subject, "sip:anonymous.") {
		t.Fatalf("the backend got %+v", req)
	}
}
