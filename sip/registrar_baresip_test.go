package sip

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webdial/webdial/digest"
	"github.com/webdial/webdial/internal/testpeer"
)

// These tests run baresip, a real SIP user agent built on libre, against
// the registrar over UDP on loopback.
//
// The digest server offers MD5 only. baresip 1.0 (libre 1.x) aborts the
// registration with ENOSYS ("Register: Function not implemented") as soon
// as any WWW-Authenticate header names an algorithm other than MD5, in
// whatever order the challenges come, instead of skipping it as RFC 8760
// §2.4 asks; with digest's default (SHA-256 and MD5) it never registers.

// baresipServer is a registrar whose digest failures can be waited on.
type baresipServer struct {
	*testServer
	locations *MemoryLocations
	failures  atomic.Int64 // wrong-password verifications
}

func (bs *baresipServer) bindings(t *testing.T) []Binding {
	t.Helper()
	b, err := bs.locations.Lookup(context.Background(), testUser+"@"+testDomain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitBindings polls the location store until cond holds or timeout.
func (bs *baresipServer) waitBindings(t *testing.T, p *testpeer.Peer, timeout time.Duration, what string, cond func([]Binding) bool) []Binding {
	t.Helper()
	var b []Binding
	if !pollUntil(timeout, func() bool { b = bs.bindings(t); return cond(b) }) {
		t.Fatalf("%s: not within %v; bindings %+v, %d digest failures\nbaresip output:\n%s",
			what, timeout, b, bs.failures.Load(), p.Output())
	}
	return b
}

// startBaresipServer runs the registrar with a location store and a digest
// logger the test can observe; mutate, if not nil, adjusts it before Serve.
func startBaresipServer(t *testing.T, mutate func(*Server)) *baresipServer {
	t.Helper()
	bs := &baresipServer{locations: NewMemoryLocations()}
	creds := digest.NewMemoryStore(testDomain)
	creds.AddPassword(testUser, testPassword)
	auth, err := digest.NewServer(digest.Config{
		Realm: testDomain, Credentials: creds, Algorithms: []digest.Algorithm{digest.MD5},
		Logger: slog.New(&digestFailureHandler{next: srvTestLogger(t).Handler(), bs: bs}),
	}, []byte("0123456789abcdef0123456789abcdef-baresip"))
	if err != nil {
		t.Fatal(err)
	}
	bs.testServer = startServer(t, func(s *Server) {
		s.Auth = auth
		s.Locations = bs.locations
		if mutate != nil {
			mutate(s)
		}
	})
	return bs
}

// startBaresip runs baresip with one account for alice that registers
// through the registrar at bs.udp, and returns it with its SIP port.
func startBaresip(t *testing.T, bs *baresipServer, password string) (*testpeer.Peer, int) {
	t.Helper()
	testpeer.Lookup(t, "baresip")
	// Where distributions install baresip's modules.
	baresipModuleDirs := []string{
		"/usr/lib/baresip/modules",
		"/usr/lib/x86_64-linux-gnu/baresip/modules",
		"/usr/lib/aarch64-linux-gnu/baresip/modules",
		"/usr/local/lib/baresip/modules",
	}
	modules := ""
	for _, dir := range baresipModuleDirs {
		if _, err := os.Stat(filepath.Join(dir, "account.so")); err == nil {
			modules = dir
			break
		}
	}
	if modules == "" {
		if testpeer.Required() {
			t.Fatalf("baresip's account.so not found in %v and %s=require", baresipModuleDirs, testpeer.InteropEnv)
		}
		t.Skipf("skipping: baresip's account.so not found in %v", baresipModuleDirs)
	}
	// baresip also listens for TLS on the next port up.
	port := testpeer.FreePortRun(t, 2)
	p := testpeer.Start(t, "baresip", testpeer.Options{
		// -s prints the SIP trace, shown when a test fails. No -d: the
		// daemon would fork away from the process testpeer stops.
		Args: []string{"-4", "-s", "-f", "{{.Dir}}"},
		Configs: map[string]string{
			"config":   filepath.Join("testdata", "baresip", "config"),
			"accounts": filepath.Join("testdata", "baresip", "accounts"),
		},
		Vars: map[string]any{
			"Port": port, "ModulePath": modules, "Server": bs.udp.String(),
			"User": testUser, "Domain": testDomain, "Password": password, "RegInt": 60,
		},
		Listen: []string{"udp:" + strconv.Itoa(port)},
	})
	return p, port
}

// TestRegistrarBaresipDigest: baresip registers with MD5 digest and its
// contact is bound for alice.
func TestRegistrarBaresipDigest(t *testing.T) {
	bs := startBaresipServer(t, nil)
	p, port := startBaresip(t, bs, testPassword)
	got := bs.waitBindings(t, p, 10*time.Second, "baresip binding", func(b []Binding) bool { return len(b) > 0 })
	if len(got) != 1 {
		t.Fatalf("bindings %+v, want exactly one", got)
	}
	b := got[0]
	hostPort := "@127.0.0.1:" + strconv.Itoa(port)
	if !strings.HasPrefix(b.Contact, "sip:"+testUser) || !strings.Contains(b.Contact, hostPort) {
		t.Errorf("contact %q, want baresip's sip:%s...%s", b.Contact, testUser, hostPort)
	}
	if want := "udp:127.0.0.1:" + strconv.Itoa(port); b.Source != want {
		t.Errorf("source %q, want %q", b.Source, want)
	}
	if got := b.Expires.Sub(b.Updated); got != 60*time.Second {
		t.Errorf("binding lifetime %v, want baresip's regint=60s", got)
	}
	if n := bs.failures.Load(); n != 0 {
		t.Errorf("%d wrong-password verifications for the right password", n)
	}
}

// TestRegistrarBaresipWrongPassword shows what a real client does with a
// wrong password: libre 1.x answers every new challenge again at once
// (each 401 carries a fresh nonce, and it retries as long as the nonce
// changes), so it is the registrar's ban after MaxAuthFailures, answered
// 403, that ends the loop. Nothing may be bound on the way.
func TestRegistrarBaresipWrongPassword(t *testing.T) {
	const maxFailures = 3
	bs := startBaresipServer(t, func(s *Server) { s.Limits.MaxAuthFailures = maxFailures })
	p, _ := startBaresip(t, bs, "not-the-password")
	if !waitOutput(p, 10*time.Second, "reg: sip:"+testUser+"@"+testDomain+": 403 Forbidden") {
		t.Fatalf("baresip did not report its registration refused with 403; %d wrong-password verifications\n%s",
			bs.failures.Load(), p.Output())
	}
	if n := bs.failures.Load(); n != maxFailures {
		t.Errorf("%d wrong-password verifications before the ban, want %d", n, maxFailures)
	}
	if b := bs.bindings(t); len(b) != 0 {
		t.Fatalf("wrong password created bindings %+v", b)
	}
}

// TestRegistrarBaresipUnregistersOnExit stops baresip with SIGTERM, on
// which it sends REGISTER with expires=0; the binding (60 s) must go.
func TestRegistrarBaresipUnregistersOnExit(t *testing.T) {
	bs := startBaresipServer(t, nil)
	p, _ := startBaresip(t, bs, testPassword)
	bs.waitBindings(t, p, 10*time.Second, "baresip binding", func(b []Binding) bool { return len(b) == 1 })
	p.Stop() // SIGTERM: baresip sends REGISTER with expires=0 before exiting
	bs.waitBindings(t, p, 5*time.Second, "binding removed on exit", func(b []Binding) bool { return len(b) == 0 })
}

// waitOutput polls p's output until it holds substr.
func waitOutput(p *testpeer.Peer, timeout time.Duration, substr string) bool {
	return pollUntil(timeout, func() bool { return strings.Contains(p.Output(), substr) })
}

// digestFailureHandler passes the digest server's records on and counts
// the wrong-password verifications among them.
type digestFailureHandler struct {
	next slog.Handler
	bs   *baresipServer
}

func (h *digestFailureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *digestFailureHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "digest verification failed" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "err" && strings.Contains(a.Value.String(), digest.ErrBadCredentials.Error()) {
				h.bs.failures.Add(1)
				return false
			}
			return true
		})
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *digestFailureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &digestFailureHandler{next: h.next.WithAttrs(as), bs: h.bs}
}

func (h *digestFailureHandler) WithGroup(name string) slog.Handler {
	return &digestFailureHandler{next: h.next.WithGroup(name), bs: h.bs}
}
