package webrtc

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

func TestLinkHeadersAndDeleteOrigin(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	secret := []byte("turn-shared-secret")
	b := newBed(t, echo.Addr().String(), func(c *Config) {
		c.ICEServers = []token.ICEServer{{URLs: []string{"stun:stun.example.com:3478"}}}
		c.TURNSecret = secret
		c.TURNURLs = []string{"turn:turn.example.com:3478?transport=udp"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if len(c.Link) != 2 || c.Link[0] != `<stun:stun.example.com:3478>; rel="ice-server"` {
		t.Fatalf("Link %q", c.Link)
	}
	m := regexp.MustCompile(`^<turn:turn\.example\.com:3478\?transport=udp>; rel="ice-server"; username="(\d+:[0-9a-f]+)"; credential="([^"]+)"; credential-type="password"$`).FindStringSubmatch(c.Link[1])
	if m == nil {
		t.Fatalf("TURN Link %q", c.Link[1])
	}
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(m[1]))
	if m[2] != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
		t.Fatal("TURN credential is not the REST-API HMAC of the username")
	}

	// Another site cannot end the call even with its Location.
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, c.Location, nil)
	req.Header.Set("Origin", "https://evil.example.net")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || b.gw.Stats().ActiveCalls != 1 {
		t.Fatalf("foreign DELETE: %d, active %d", resp.StatusCode, b.gw.Stats().ActiveCalls)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Hangup(ctx); err == nil {
		t.Fatal("second DELETE succeeded")
	}
}

func TestNewRejectsUnsafeConfig(t *testing.T) {
	b := newBed(t, "127.0.0.1:9", nil)
	good := b.gw.cfg
	mod := func(f func(*Config)) Config { c := good; f(&c); return c }
	cases := map[string]Config{
		"empty":            {},
		"no dialer":        mod(func(c *Config) { c.Dialer = nil }),
		"no token":         mod(func(c *Config) { c.Sealer = nil }),
		"no origin check":  mod(func(c *Config) { c.Origins, c.Connect = nil, nil }),
		"no policy":        mod(func(c *Config) { c.Policy = nil }),
		"negative ring":    mod(func(c *Config) { c.Limits.RingTimeout = -1 }),
		"half port range":  mod(func(c *Config) { c.RTPPortMin = 10000 }),
		"turn without url": mod(func(c *Config) { c.TURNSecret, c.TURNURLs = []byte("x"), nil }),
	}
	g, err := New(good)
	if err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	_ = g.Close(context.Background())
	for name, cfg := range cases {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

// TestCORS: an allowed page can read the gateway's answers, errors
// included; a refused origin gets no CORS grant.
func TestCORS(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), nil)
	do := func(method, origin string) *http.Response {
		req, _ := http.NewRequest(method, b.srv.URL+"/call", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := do(http.MethodOptions, testOrigin); r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != testOrigin ||
		r.Header.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" {
		t.Fatalf("preflight %d %v", r.StatusCode, r.Header)
	}
	if r := do(http.MethodPost, testOrigin); r.StatusCode != 401 || r.Header.Get("Access-Control-Allow-Origin") != testOrigin {
		t.Fatalf("401 without CORS grant: %v", r.Header)
	}
	for _, m := range []string{http.MethodOptions, http.MethodPost} {
		if r := do(m, "https://evil.example.net"); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%s from refused origin: %d %v", m, r.StatusCode, r.Header)
		}
	}
}
