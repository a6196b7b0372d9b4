package webrtc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

func wantStatus(t *testing.T, err error, code int) {
	t.Helper()
	var se *pageclient.StatusError
	if !errors.As(err, &se) || se.Code != code {
		t.Fatalf("got %v, want HTTP %d", err, code)
	}
}

func TestOriginRefusedBeforeSIP(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, origin := range []string{"https://shop.example.com.evil.net", "https://evil-shop.example.com", "http://shop.example.com", "null", ""} {
		_, err := b.dial(ctx, pageclient.Options{Origin: origin, Token: b.token()})
		wantStatus(t, err, http.StatusForbidden)
	}
	if n := echo.Invites.Load(); n != 0 {
		t.Fatalf("sip side saw %d INVITEs", n)
	}
}

func TestTokenRefusedBeforeSIP(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := b.dial(ctx, pageclient.Options{Origin: testOrigin})
	wantStatus(t, err, http.StatusUnauthorized) // missing

	past := time.Now().Add(-10 * time.Minute)
	expired, err := b.sealer.Seal(token.Claims{Destination: testCallee, Audience: testOrigin, IssuedAt: past, Expiry: past.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: expired})
	wantStatus(t, err, http.StatusUnauthorized)

	other, err := b.sealer.Seal(token.Claims{Destination: testCallee, Audience: "https://other.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: other})
	wantStatus(t, err, http.StatusUnauthorized) // wrong origin

	_, err = b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: "garbage" + b.token()[7:]})
	wantStatus(t, err, http.StatusUnauthorized)

	if n := echo.Invites.Load(); n != 0 {
		t.Fatalf("sip side saw %d INVITEs for refused tokens", n)
	}

	tok := b.token()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		t.Fatal(err)
	}
	_, err = b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: tok})
	wantStatus(t, err, http.StatusUnauthorized) // replayed
	if n := echo.Invites.Load(); n != 1 {
		t.Fatalf("sip side saw %d INVITEs, want 1 (the replay must not reach it)", n)
	}
}

// hookBackend is a reference-002 style REST hook backend over real HTTP.
type hookBackend struct {
	srv      *httptest.Server
	connects atomic.Int64
	lastCall atomic.Value // map[string]any
}

func newHookBackend(t *testing.T) *hookBackend {
	h := &hookBackend{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/hooks/connect":
			h.connects.Add(1)
			if in["origin"] != testOrigin {
				w.WriteHeader(http.StatusForbidden)
				return
			}
		case "/hooks/call":
			seen := map[string]any{}
			for k, v := range in {
				seen[k] = v
			}
			h.lastCall.Store(seen)
			// Like reference 002: echo the input, overwrite what matters.
			in["callee"] = "10002"
			in["sipDomain"] = "example.com"
			in["sipLogin"] = "10001"
			in["sipAuthenticationName"] = "10001"
			in["sipPassword"] = "Password_123"
			in["sipPort"] = "5060"
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(in)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func TestHTTPHooksOverwritePage(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	backend := newHookBackend(t)
	hooks := &HTTPHooks{BaseURL: backend.srv.URL + "/hooks"}
	b := newBed(t, echo.Addr().String(), func(c *Config) { c.Connect, c.Call = hooks, hooks })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The page tries to pick the callee and the SIP account itself.
	q := url.Values{"callee": {"sip:+4490012345@example.com"}, "sipLogin": {"admin"}, "sipPassword": {"guess"}}
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), Query: q})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		t.Fatal(err)
	}
	reqs := b.rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d dials", len(reqs))
	}
	r := reqs[0]
	if r.Target != "sip:10002@example.com" || r.Username != "10001" || r.Password != "Password_123" {
		t.Fatalf("dialled %q as %q/%q, want the backend's choice", r.Target, r.Username, r.Password)
	}
	calls := echo.Calls()
	if len(calls) != 1 || calls[0].RequestURI != "sip:10002@example.com" {
		t.Fatalf("sip side got %+v", calls)
	}
	if !strings.Contains(calls[0].From, "anonymous.") {
		t.Fatalf("From %q is not the visitor's anonymous identity", calls[0].From)
	}
	in, _ := backend.lastCall.Load().(map[string]any)
	if in["pageCallee"] != "sip:+4490012345@example.com" || in["sipPassword"] != nil {
		t.Fatalf("backend got %v", in)
	}

	// A page of another origin is refused by the exact allow-list before
	// the backend is even asked, and never reaches SIP.
	before := backend.connects.Load()
	_, err = b.dial(ctx, pageclient.Options{Origin: "https://shop.example.com.evil.net", Token: b.token()})
	wantStatus(t, err, http.StatusForbidden)
	if backend.connects.Load() != before || echo.Invites.Load() != 1 {
		t.Fatal("refused origin reached the backend or SIP")
	}
}

func TestHTTPHooksConnectRefuses(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	backend := newHookBackend(t)
	hooks := &HTTPHooks{BaseURL: backend.srv.URL + "/hooks"}
	// No static allow-list: the backend alone decides.
	b := newBed(t, echo.Addr().String(), func(c *Config) {
		c.Origins, c.Connect, c.Call, c.Sealer, c.InsecureNoToken = nil, hooks, hooks, nil, true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.dial(ctx, pageclient.Options{Origin: "https://evil.example.net"})
	wantStatus(t, err, http.StatusForbidden)
	if backend.connects.Load() != 1 || echo.Invites.Load() != 0 {
		t.Fatalf("connects=%d invites=%d", backend.connects.Load(), echo.Invites.Load())
	}
}

func TestHTTPHooksBackendDown(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	t.Run("refuse", func(t *testing.T) {
		echo := startEcho(t, sipecho.Options{})
		hooks := &HTTPHooks{BaseURL: downURL, Timeout: 2 * time.Second}
		b := newBed(t, echo.Addr().String(), func(c *Config) { c.Call = hooks })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
		wantStatus(t, err, http.StatusServiceUnavailable)
		if echo.Invites.Load() != 0 {
			t.Fatal("refused call reached SIP")
		}
	})
	t.Run("continue", func(t *testing.T) {
		echo := startEcho(t, sipecho.Options{})
		hooks := &HTTPHooks{BaseURL: downURL, Timeout: 2 * time.Second, ContinueOnError: true, Logger: testLogger(t),
			Fallback: CallDecision{Callee: "sip:support@example.com"}}
		b := newBed(t, echo.Addr().String(), func(c *Config) { c.Connect, c.Call = hooks, hooks })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.WaitState(ctx, "answered"); err != nil {
			t.Fatal(err)
		}
		if calls := echo.Calls(); len(calls) != 1 || calls[0].RequestURI != "sip:support@example.com" {
			t.Fatalf("sip side got %+v", calls)
		}
	})
}

func TestPolicyRefusesDestination(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	hook := CallFunc(func(context.Context, CallRequest) (CallDecision, error) {
		return CallDecision{Callee: "sip:someone@other-domain.example.net"}, nil
	})
	b := newBed(t, echo.Addr().String(), func(c *Config) { c.Call = hook })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	wantStatus(t, err, http.StatusForbidden)
	if echo.Invites.Load() != 0 {
		t.Fatal("denied destination reached SIP")
	}
}
