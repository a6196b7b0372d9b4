package sip

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/digest"
)

const (
	testDomain   = "example.com"
	testUser     = "alice"
	testPassword = "wonderland-secret"
)

// testServer is a running Server on loopback for one test.
type testServer struct {
	srv     *Server
	udp     *net.UDPAddr
	tcp     *net.TCPAddr
	store   *digest.MemoryStore
	mu      sync.Mutex
	records []CallRecord
	done    chan error
}

func (ts *testServer) Records() []CallRecord {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]CallRecord(nil), ts.records...)
}

// countRecords is how many records of event ev were emitted so far.
func (ts *testServer) countRecords(ev RecordEvent) int {
	n := 0
	for _, r := range ts.Records() {
		if r.Event == ev {
			n++
		}
	}
	return n
}

// startServer runs a Server with digest auth (MD5 only, so sipp can
// answer), an in-domain user alice, and policy for example.com; mutate
// adjusts fields before Serve.
func startServer(t testing.TB, mutate func(*Server)) *testServer {
	t.Helper()
	store := digest.NewMemoryStore(testDomain)
	store.AddPassword(testUser, testPassword)
	store.AddPassword("bob", "bob-secret")
	auth, err := digest.NewServer(digest.Config{
		Realm: testDomain, Credentials: store, Algorithms: []digest.Algorithm{digest.MD5},
		Logger: srvTestLogger(t),
	}, []byte("0123456789abcdef0123456789abcdef-test-key"))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{store: store, done: make(chan error, 1)}
	srv := &Server{
		Domain: testDomain,
		Auth:   auth,
		Policy: &anon.Policy{Domains: []string{testDomain}},
		Logger: srvTestLogger(t),
		Limits: Limits{PerSourceRate: -1},
		OnRecord: func(r CallRecord) {
			ts.mu.Lock()
			ts.records = append(ts.records, r)
			ts.mu.Unlock()
		},
	}
	if mutate != nil {
		mutate(srv)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.srv, ts.udp, ts.tcp = srv, pc.LocalAddr().(*net.UDPAddr), ln.Addr().(*net.TCPAddr)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { ts.done <- srv.Serve(ctx, pc, ln) }()
	defer ping(t, ts.udp) // serving: Serve has stored its state
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Serve did not return after cancel")
		}
	})
	return ts
}

type srvTestWriter struct{ t testing.TB }

func (w srvTestWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// exchange sends one datagram from a fresh socket and returns the first
// response (or an error after timeout).
func exchange(t testing.TB, to *net.UDPAddr, msg string, timeout time.Duration) (string, error) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return exchangeOn(c, msg, timeout)
}

func exchangeOn(c *net.UDPConn, msg string, timeout time.Duration) (string, error) {
	if _, err := c.Write([]byte(msg)); err != nil {
		return "", err
	}
	buf := make([]byte, 65535)
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	n, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

var errNoStatus = errors.New("no status line")

func statusOf(res string) (string, error) {
	line, _, _ := strings.Cut(res, "\r\n")
	if !strings.HasPrefix(line, "SIP/2.0 ") {
		return "", errNoStatus
	}
	return strings.TrimPrefix(line, "SIP/2.0 "), nil
}

func optionsMsg(local net.Addr, branch string) string {
	return "OPTIONS sip:" + testDomain + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local.String() + ";branch=z9hG4bK" + branch + "\r\n" +
		"Max-Forwards: 70\r\n" +
		"From: <sip:probe@probe.invalid>;tag=1\r\n" +
		"To: <sip:" + testDomain + ">\r\n" +
		"Call-ID: " + branch + "@probe\r\n" +
		"CSeq: 1 OPTIONS\r\n" +
		"Content-Length: 0\r\n\r\n"
}

// ping checks that the server still answers OPTIONS with 200.
func ping(t testing.TB, to *net.UDPAddr) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, to)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 5 {
		res, err := exchangeOn(c, optionsMsg(c.LocalAddr(), "ping"+string(rune('a'+i))), 2*time.Second)
		if err != nil {
			continue
		}
		if st, _ := statusOf(res); strings.HasPrefix(st, "200") {
			return
		}
		t.Fatalf("OPTIONS answered %q", res)
	}
	t.Fatal("server does not answer OPTIONS")
}

func srvTestLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(srvTestWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

// pollUntil checks cond every 10 ms until it holds (true) or timeout
// passes (false). Tests wait on conditions this way, never on a fixed sleep.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			return cond()
		case <-tick.C:
		}
	}
	return true
}
