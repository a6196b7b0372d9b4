package main

import (
	"context"
	"encoding/json"
	"errors"
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

// hookBackend runs examples/resthook's backend on loopback and counts the
// hook requests it gets.
type hookBackend struct {
	URL             string
	connects, calls atomic.Int32
	lastCall        atomic.Pointer[hookwire.Call]
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

func startHookBackend(t *testing.T, origins []string, overwrite hookwire.Call) *hookBackend {
	t.Helper()
	b := &hookBackend{}
	b.backend.Store(&hookwire.Backend{Overwrite: overwrite})
	b.allow(t, origins...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/connect":
			b.connects.Add(1)
		case "/call":
			b.calls.Add(1)
			var c hookwire.Call
			body := http.MaxBytesReader(w, r.Body, hookwire.MaxBody)
			if err := json.NewDecoder(body).Decode(&c); err == nil {
				b.lastCall.Store(&c)
			}
			raw, _ := json.Marshal(c)
			r.Body = http.MaxBytesReader(w, &readCloser{strings.NewReader(string(raw))}, hookwire.MaxBody)
		}
		b.backend.Load().Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func TestHTTPHooksAdapter(t *testing.T) {
	const secret = "hook-held-secret"
	b := startHookBackend(t, []string{"https://shop.example"}, hookwire.Call{
		Callee: "10002", SIPDomain: "pbx.example", SIPLogin: "10001", SIPPassword: secret, SIPOutboundProxy: "10.0.0.1",
	})
	h, err := newHTTPHooks(b.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client := netip.MustParseAddr("127.0.0.1")

	if err := h.Connect(ctx, webrtc.ConnectRequest{Origin: "https://shop.example", ClientAddr: client}); err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	err = h.Connect(ctx, webrtc.ConnectRequest{Origin: "https://shop.example.evil.net"})
	if !errors.Is(err, webrtc.ErrForbidden) || webrtc.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("foreign origin: %v (status %d), want ErrForbidden/403", err, webrtc.StatusCode(err))
	}

	d, err := h.Call(ctx, webrtc.CallRequest{
		CallID: "c1", Origin: "https://shop.example", ClientAddr: client, Subject: "sip:anonymous.x@anonymous.invalid",
		PageCallee: "sip:+19005550100@evil.example", PageLogin: "attacker", PagePassword: "page-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := webrtc.CallDecision{Callee: "sip:10002@pbx.example", SIPLogin: "10001", SIPPassword: secret, Proxy: "10.0.0.1:5060"}
	if d != want {
		t.Fatalf("decision %+v, want %+v", d, want)
	}
	sent := b.lastCall.Load()
	if sent == nil || sent.SIPPassword != "" || sent.CallID != "c1" || sent.Callee != "sip:+19005550100@evil.example" {
		t.Fatalf("the gateway sent the backend %+v", sent)
	}

	// A backend that fails is ErrHookBackend; one that is gone too.
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	hb, _ := newHTTPHooks(broken.URL)
	if _, err := hb.Call(ctx, webrtc.CallRequest{Origin: "https://shop.example"}); !errors.Is(err, webrtc.ErrHookBackend) {
		t.Fatalf("500 backend: %v", err)
	}
	broken.Close()
	if err := hb.Connect(ctx, webrtc.ConnectRequest{Origin: "https://shop.example"}); !errors.Is(err, webrtc.ErrHookBackend) {
		t.Fatalf("unreachable backend: %v", err)
	}
	for _, bad := range []string{"", "ftp://x", "127.0.0.1:8090", "http://"} {
		if _, err := newHTTPHooks(bad); err == nil {
			t.Errorf("newHTTPHooks(%q) accepted", bad)
		}
	}
}

// The hook backend's refusal reaches the page as 403 before any media is
// set up, even with a valid call token.
func TestHookRefusesCall(t *testing.T) {
	b := startHookBackend(t, []string{"https://only-this.example"}, hookwire.Call{Callee: demoDestination})
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
	b := startHookBackend(t, []string{"http://127.0.0.1:1"}, hookwire.Call{Callee: "demo", SIPDomain: "localhost", SIPLogin: "hook-user"})
	a := startApp(t, config{Demo: true, Destination: demoDestination, Hooks: b.URL})
	b.allow(t, strings.TrimSuffix(a.URL, "/"))
	browserCall(t, chromium, a, "clicktocall-in-call-resthook.png", true)
	if b.connects.Load() == 0 || b.calls.Load() != 1 {
		t.Fatalf("hook backend saw %d connects and %d calls, want >0 and 1", b.connects.Load(), b.calls.Load())
	}
}
