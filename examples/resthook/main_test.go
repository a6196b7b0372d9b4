package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/webdial/webdial/examples/internal/hookwire"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const secret = "Password_123-do-not-leak"

func startHook(t *testing.T) (base string, logs *syncBuffer) {
	t.Helper()
	logs = &syncBuffer{}
	env := map[string]string{
		"WEBDIAL_ORIGINS":      "https://shop.example, http://127.0.0.1:8080",
		"WEBDIAL_SIP_PASSWORD": secret,
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-callee", "10002", "-sip-domain", "pbx.example",
			"-sip-user", "10001"}, func(k string) string { return env[k] }, logs, ready)
	}()
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the SIP password appears in the logs:\n%s", logs)
		}
	})
	return base, logs
}

func post(t *testing.T, url string, body any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(res.Body)
	return res.StatusCode, out.Bytes()
}

func TestConnectOriginAllowList(t *testing.T) {
	base, _ := startHook(t)
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"https://shop.example", 200},
		{"http://127.0.0.1:8080", 200},
		// Reference 002's strpos check would pass these; exact matching must not.
		{"https://shop.example.evil.net", 403},
		{"https://evil-shop.example", 403},
		{"http://shop.example", 403},
		{"https://shop.example:8443", 403},
		{"null", 403},
		{"", 403},
	} {
		if got, _ := post(t, base+"/connect", hookwire.Request{Origin: tc.origin, SessionID: "s1"}); got != tc.want {
			t.Errorf("origin %q: status %d, want %d", tc.origin, got, tc.want)
		}
	}
}

func TestCallOverwrites(t *testing.T) {
	base, logs := startHook(t)
	// The page tries to pick its own callee and credentials.
	status, body := post(t, base+"/call", map[string]string{
		"sessionId": "c1", "origin": "https://shop.example", "pageCallee": "sip:+6720001@antarctica.example",
		// A backend that echoed its input would hand these back; this one must not.
		"callee": "sip:+6720001@antarctica.example", "sipLogin": "attacker", "sipPassword": "guess",
	})
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var got hookwire.Decision
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Decision().Callee != "sip:10002@pbx.example" || got.SIPLogin != "10001" || got.SIPPassword != secret {
		t.Fatalf("answer %+v", got)
	}
	if !strings.Contains(logs.String(), "antarctica") {
		t.Errorf("the asked-for callee is not logged")
	}
	if status, _ := post(t, base+"/call", hookwire.Request{Origin: "https://shop.example.evil.net", PageCallee: "x"}); status != 403 {
		t.Fatalf("foreign origin on /call: %d, want 403", status)
	}
}

func TestBadRequests(t *testing.T) {
	base, _ := startHook(t)
	res, err := http.Get(base + "/call")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /call: %d", res.StatusCode)
	}
	res, err = http.Post(base+"/call", "application/json", strings.NewReader("{"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("broken json: %d", res.StatusCode)
	}
	big := `{"origin":"` + strings.Repeat("a", hookwire.MaxBody) + `"}`
	res, err = http.Post(base+"/connect", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", res.StatusCode)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-origins", "https://example.com/path"},
		{"-callee", "10002"}, // bare user without -sip-domain
		{"-listen", "127.0.0.1:0", "-origins", ""},
	} {
		err := run(context.Background(), args, func(string) string { return "" }, &bytes.Buffer{}, nil)
		if err == nil {
			t.Errorf("run(%q) succeeded", args)
		}
	}
}
