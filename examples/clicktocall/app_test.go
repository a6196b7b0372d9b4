package main

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc"
)

// startApp runs the program's server on free loopback ports.
func startApp(t *testing.T, cfg config) *app {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.SIPListen == "" {
		cfg.SIPListen = "127.0.0.1:0"
	}
	if cfg.DemoListen == "" {
		cfg.DemoListen = "127.0.0.1:0"
	}
	if cfg.RTPAddr == "" {
		cfg.RTPAddr = "127.0.0.1"
	}
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("newApp: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return a
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func postToken(t *testing.T, base, origin string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"token", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestDefaultConfig(t *testing.T) {
	cfg, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Demo || cfg.Destination != demoDestination || cfg.Listen != defaultListen || cfg.SIPPassword != "" {
		t.Fatalf("defaults %+v", cfg)
	}
	env := map[string]string{"WEBDIAL_DEMO": "false", "WEBDIAL_DESTINATION": "sip:sales@pbx.example",
		"WEBDIAL_SIP_PASSWORD": "pw", "WEBDIAL_SIP_USER": "1001", "WEBDIAL_LISTEN": "127.0.0.1:9999"}
	cfg, err = parseConfig([]string{"-sip-user", "1002"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Demo || cfg.Destination != "sip:sales@pbx.example" || cfg.SIPUser != "1002" || cfg.SIPPassword != "pw" || cfg.Listen != "127.0.0.1:9999" {
		t.Fatalf("env+flags %+v", cfg)
	}
	if _, err := parseConfig([]string{"-demo=false"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("-demo=false without a destination was accepted")
	}
	if cfg, err := parseConfig([]string{"-media", "lite-shared", "-ice-ip", "127.0.0.1"}, func(string) string { return "" }, io.Discard); err != nil || cfg.Media != "lite-shared" || cfg.ICEIP != "127.0.0.1" {
		t.Fatalf("-media lite-shared -ice-ip: %+v, %v", cfg, err)
	}
	for _, args := range [][]string{{"-media", "fast"}, {"-ice-ip", "127.0.0.1"}} {
		if _, err := parseConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("%q was accepted", args)
		}
	}
}

// TestLiteMediaRefusesRemoteICEIP checks that the lite engines refuse an
// address they cannot bind (a NAT's public address) when the app starts,
// not on the first call.
func TestLiteMediaRefusesRemoteICEIP(t *testing.T) {
	cfg := config{Listen: "127.0.0.1:0", SIPListen: "127.0.0.1:0", DemoListen: "127.0.0.1:0", RTPAddr: "127.0.0.1",
		Demo: true, Destination: demoDestination, MaxDuration: time.Minute, Logger: testLogger(t),
		Media: "lite", ICEIP: "192.0.2.7"}
	a, err := newApp(t.Context(), cfg)
	if err == nil {
		a.close()
		t.Fatal("newApp accepted -ice-ip 192.0.2.7 (TEST-NET-1, not local) with -media lite")
	}
	if !errors.Is(err, webrtc.ErrConfig) {
		t.Fatalf("newApp: %v, want webrtc.ErrConfig", err)
	}
}

func TestServesPageAndTokens(t *testing.T) {
	a := startApp(t, config{Demo: true, Destination: demoDestination})
	res, body := get(t, a.URL)
	if res.StatusCode != 200 || !strings.Contains(body, `id="call"`) {
		t.Fatalf("GET /: %d\n%s", res.StatusCode, body)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("CSP %q", csp)
	}
	origin := strings.TrimSuffix(a.URL, "/")
	if code, body := postToken(t, a.URL, origin); code != 200 || !strings.Contains(body, `"token"`) {
		t.Fatalf("token for own origin: %d %s", code, body)
	}
	for _, o := range []string{"", "null", origin + ".evil.net", "http://evil.example"} {
		if code, _ := postToken(t, a.URL, o); code != http.StatusForbidden {
			t.Errorf("token for origin %q: %d, want 403", o, code)
		}
	}
	// The gateway refuses a call without a token.
	req, _ := http.NewRequest(http.MethodPost, a.URL+"call", strings.NewReader("v=0\r\n"))
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Origin", origin)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusUnauthorized {
		t.Fatalf("call without token: %d, want 401", r2.StatusCode)
	}
}

// The page must hold neither SIP credentials nor the destination: not in
// the embedded files, and not in anything the server sends it.
func TestPageHoldsNoSecretsOrDestination(t *testing.T) {
	const (
		password    = "Pa55-w0rd-never-in-page"
		user        = "10001"
		destination = "sip:10002@pbx.example"
	)
	err := fs.WalkDir(webFiles, "web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := webFiles.ReadFile(path)
		if err != nil {
			return err
		}
		lower := strings.ToLower(string(b))
		for _, bad := range []string{"sip:", "sips:", "password", "passwd", "demo@", "localhost", "10002", "pbx.example", "siplogin"} {
			if strings.Contains(lower, bad) {
				t.Errorf("%s contains %q", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	a := startApp(t, config{Destination: destination, SIPUser: user, SIPPassword: password})
	origin := strings.TrimSuffix(a.URL, "/")
	var seen strings.Builder
	for _, p := range []string{"", "app.js", "style.css", "index.html"} {
		_, body := get(t, a.URL+p)
		seen.WriteString(body)
	}
	_, tok := postToken(t, a.URL, origin)
	seen.WriteString(tok)
	for _, secret := range []string{password, destination, "10002", "pbx.example", user} {
		if strings.Contains(seen.String(), secret) {
			t.Errorf("the page or its token response contains %q", secret)
		}
	}
}
