package token

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type handlerEnv struct {
	srv    *httptest.Server
	sealer *Sealer
	clk    *fakeClock
}

func newHandlerEnv(t *testing.T, mod func(*Handler)) *handlerEnv {
	t.Helper()
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	s := newTestSealer(t, clk, nil)
	o, err := ParseOrigins("https://example.com", "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Sealer: s, Origins: o, Destination: "sales-queue", Now: clk.Now}
	if mod != nil {
		mod(h)
	}
	srv := httptest.NewServer(h) // loopback, port from the OS
	t.Cleanup(srv.Close)
	return &handlerEnv{srv: srv, sealer: s, clk: clk}
}

func (e *handlerEnv) do(t *testing.T, method string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/token", strings.NewReader(`{"ignored":"page data"}`))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q", method, cc)
	}
	if resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("credentials allowed")
	}
	return resp, string(b)
}

func TestHandlerIssues(t *testing.T) {
	e := newHandlerEnv(t, func(h *Handler) {
		h.NewSubject = func() (string, error) { return "anonymous.42@anonymous.invalid", nil }
		h.ICEServers = []ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}
		h.TURNSecret = []byte("turn-secret")
		h.TURNURLs = []string{"turn:127.0.0.1:3478"}
	})
	for _, origin := range []string{"https://example.com", "http://127.0.0.1:8080"} {
		resp, body := e.do(t, http.MethodPost, map[string]string{"Origin": origin})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d %s", origin, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("ACAO %q", got)
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary %q", resp.Header.Values("Vary"))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		if strings.Contains(body, "sales-queue") || strings.Contains(strings.ToLower(body), "password") {
			t.Errorf("response leaks destination or credentials: %s", body)
		}
		var ir IssueResponse
		if err := json.Unmarshal([]byte(body), &ir); err != nil {
			t.Fatal(err)
		}
		if !ir.ExpiresAt.Equal(e.clk.t.Add(DefaultLifetime)) {
			t.Errorf("expiresAt %v", ir.ExpiresAt)
		}
		if len(ir.ICEServers) != 2 || ir.ICEServers[0].URLs[0] != "stun:127.0.0.1:3478" ||
			!strings.HasPrefix(ir.ICEServers[1].Username, "1800003600:") || ir.ICEServers[1].Credential == "" {
			t.Errorf("ice servers %+v", ir.ICEServers)
		}
		c, err := e.sealer.Open(context.Background(), ir.Token, origin)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "anonymous.42@anonymous.invalid" || c.Destination != "sales-queue" || c.Audience != origin {
			t.Errorf("claims %+v", c)
		}
		if !strings.HasSuffix(ir.ICEServers[1].Username, ":"+c.ID) {
			t.Errorf("TURN user %q not the token ID %q", ir.ICEServers[1].Username, c.ID)
		}
	}
	// Non-default port spelled with the default port normalises.
	resp, body := e.do(t, http.MethodPost, map[string]string{"Origin": "https://example.com:443"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var ir IssueResponse
	_ = json.Unmarshal([]byte(body), &ir)
	if _, err := e.sealer.Open(context.Background(), ir.Token, "https://example.com"); err != nil {
		t.Errorf("audience not normalised: %v", err)
	}
}

func TestHandlerRefusesOrigins(t *testing.T) {
	e := newHandlerEnv(t, nil)
	for _, origin := range []string{
		"", // missing
		"null",
		"https://example.com.evil.net", // suffix attack
		"https://evil-example.com",     // prefix attack
		"https://evilexample.com",
		"https://example.co", // substring of the allowed origin
		"https://example.com.",
		"https://sub.example.com",
		"http://example.com",       // wrong scheme
		"https://example.com:8443", // wrong port
		"http://127.0.0.1:8081",
		"https://example.com/",
		"https://example.com@evil.net",
	} {
		hdr := map[string]string{}
		if origin != "" {
			hdr["Origin"] = origin
		}
		for _, m := range []string{http.MethodPost, http.MethodOptions} {
			if m == http.MethodOptions {
				hdr["Access-Control-Request-Method"] = "POST"
			}
			resp, body := e.do(t, m, hdr)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s %q: status %d", m, origin, resp.StatusCode)
			}
			if resp.Header.Get("Access-Control-Allow-Origin") != "" || strings.Contains(body, "token") {
				t.Errorf("%s %q: CORS header or token on refusal", m, origin)
			}
		}
	}
	// Two Origin headers: refused even if one is allowed.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL, nil)
	req.Header.Add("Origin", "https://example.com")
	req.Header.Add("Origin", "https://evil.example")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("duplicate Origin: %d", resp.StatusCode)
	}
}

func TestHandlerPreflight(t *testing.T) {
	e := newHandlerEnv(t, nil)
	resp, _ := e.do(t, http.MethodOptions, map[string]string{
		"Origin": "https://example.com", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "content-type",
	})
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
	h := resp.Header
	if h.Get("Access-Control-Allow-Origin") != "https://example.com" || h.Get("Access-Control-Allow-Methods") != "POST" ||
		!strings.EqualFold(h.Get("Access-Control-Allow-Headers"), "Content-Type") ||
		!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("preflight headers %v", h)
	}
	resp, _ = e.do(t, http.MethodOptions, map[string]string{"Origin": "https://example.com", "Access-Control-Request-Method": "DELETE"})
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight for DELETE: %d", resp.StatusCode)
	}
}

func TestHandlerMethods(t *testing.T) {
	e := newHandlerEnv(t, nil)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead} {
		resp, _ := e.do(t, m, map[string]string{"Origin": "https://example.com"})
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST, OPTIONS" {
			t.Errorf("%s: %d Allow=%q", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

func TestHandlerRateLimit(t *testing.T) {
	var lim *MemoryLimiter
	e := newHandlerEnv(t, func(h *Handler) {
		lim = NewMemoryLimiter(60, 2, 100)
		lim.Now = h.Now
		h.Limiter = lim
	})
	post := func() int {
		resp, _ := e.do(t, http.MethodPost, map[string]string{"Origin": "https://example.com"})
		return resp.StatusCode
	}
	if a, b := post(), post(); a != 200 || b != 200 {
		t.Fatalf("burst: %d %d", a, b)
	}
	if c := post(); c != http.StatusTooManyRequests {
		t.Fatalf("over limit: %d", c)
	}
	e.clk.Advance(time.Second)
	if c := post(); c != 200 {
		t.Fatalf("after refill: %d", c)
	}
}

func TestHandlerHooks(t *testing.T) {
	e := newHandlerEnv(t, func(h *Handler) {
		h.Authorize = func(r *http.Request, c *Claims) error {
			if r.Header.Get("X-Route") == "deny" {
				return errors.New("no")
			}
			c.Destination = "support"
			c.Audience = "https://evil.example" // must be overridden
			return nil
		}
	})
	resp, _ := e.do(t, http.MethodPost, map[string]string{"Origin": "https://example.com", "X-Route": "deny"})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("denied by hook: %d", resp.StatusCode)
	}
	resp, body := e.do(t, http.MethodPost, map[string]string{"Origin": "https://example.com"})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var ir IssueResponse
	_ = json.Unmarshal([]byte(body), &ir)
	c, err := e.sealer.Open(context.Background(), ir.Token, "https://example.com")
	if err != nil || c.Destination != "support" || !strings.HasPrefix(c.Subject, "anonymous-") {
		t.Fatalf("claims %+v, %v", c, err)
	}

	broken := newHandlerEnv(t, func(h *Handler) { h.Sealer = nil })
	if resp, _ := broken.do(t, http.MethodPost, map[string]string{"Origin": "https://example.com"}); resp.StatusCode != 500 {
		t.Fatalf("nil sealer: %d", resp.StatusCode)
	}
	closed := newHandlerEnv(t, func(h *Handler) { h.Origins = nil })
	if resp, _ := closed.do(t, http.MethodPost, map[string]string{"Origin": "https://example.com"}); resp.StatusCode != 403 {
		t.Fatalf("nil origins: %d", resp.StatusCode)
	}
}
