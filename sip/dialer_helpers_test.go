package sip

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// dialerOffer is a plain RTP/AVP offer; nothing listens on its port, the
// peers in these tests do not send media.
var dialerOffer = []byte("v=0\r\no=webdial 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
	"m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n")

// dialerSippUAS is a sipp process running one UAS scenario for calls calls.
type dialerSippUAS struct {
	*testpeer.Peer
	Port   int
	Target string // Request-URI reaching it
}

// dialerStartUAS runs sipp with testdata/sipp/<scenario> as a UAS on a free
// loopback port; it must complete calls calls before its timeout.
func dialerStartUAS(t *testing.T, scenario string, calls int, vars map[string]any, extra ...string) *dialerSippUAS {
	t.Helper()
	return dialerStartUASOn(t, "127.0.0.1", scenario, calls, vars, extra...)
}

// dialerStartUASOn is dialerStartUAS on another loopback IP (e.g. ::1).
func dialerStartUASOn(t *testing.T, ip, scenario string, calls int, vars map[string]any, extra ...string) *dialerSippUAS {
	t.Helper()
	network := "udp"
	for i, a := range extra {
		if a == "-t" && i+1 < len(extra) && strings.HasPrefix(extra[i+1], "t") {
			network = "tcp"
		}
	}
	ports := []int{testpeer.FreePort(t), dialerMediaPort(t)}
	args := []string{"-sf", "{{.Dir}}/scenario.xml", "-i", ip, "-p", strconv.Itoa(ports[0]),
		"-mp", strconv.Itoa(ports[1]), "-m", strconv.Itoa(calls), "-nostdin",
		"-timeout", "20s", "-timeout_error", "-trace_stat", "-stf", "{{.Dir}}/stats.csv", "-fd", "1", "-trace_err"}
	p := testpeer.Start(t, "sipp", testpeer.Options{
		Args:    append(args, extra...),
		Configs: map[string]string{"scenario.xml": "testdata/sipp/" + scenario},
		Vars:    vars,
		// Waiting for the media sockets too: sipp exits if it cannot
		// bind them, after its SIP port is already open.
		Listen: []string{network + ":" + strconv.Itoa(ports[0]),
			"udp:" + strconv.Itoa(ports[1]), "udp:" + strconv.Itoa(ports[1]+2)},
	})
	host := net.JoinHostPort(ip, strconv.Itoa(ports[0]))
	target := "sip:svc@" + host
	if network == "tcp" {
		target += ";transport=tcp"
	}
	return &dialerSippUAS{Peer: p, Port: ports[0], Target: target}
}

// dialerMediaPort returns a free UDP port p whose p+2 is free too: sipp
// binds its audio socket on -mp and its video socket on -mp + 2, and
// exits if either is taken (parallel tests elsewhere make that likely).
func dialerMediaPort(t testing.TB) int {
	t.Helper()
	for range 50 {
		p := testpeer.FreePort(t)
		if p+2 > 65535 {
			continue
		}
		c, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+2)))
		if err != nil {
			continue
		}
		c.Close()
		return p
	}
	t.Fatal("no free media port pair")
	return 0
}

// waitOK waits for sipp to finish its calls and exit 0 (all calls
// successful: every expected message arrived, in order).
func (s *dialerSippUAS) waitOK(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := s.Wait(ctx); err != nil {
		errLogs, _ := filepath.Glob(filepath.Join(s.Dir, "*_errors.log"))
		var errs string
		for _, f := range errLogs {
			b, _ := os.ReadFile(f)
			errs += string(b)
		}
		t.Fatalf("sipp UAS did not complete its scenario: %v\n%s\nsipp errors:\n%s", err, s.Output(), errs)
	}
}

// newDialerForTest starts a Dialer on loopback that logs to the test and is
// closed when the test ends.
func newDialerForTest(t *testing.T, cfg DialerConfig) *Dialer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = dialerTestLogger(t)
	}
	d, err := NewDialer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// dialerLogBuffer collects log output so a test can check what was logged.
type dialerLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *dialerLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *dialerLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// dialerTestLogger logs at Debug into a buffer that is printed if the test fails.
func dialerTestLogger(t *testing.T) *slog.Logger {
	lb := &dialerLogBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dialer log:\n%s", lb.String())
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// dialerWaitGoroutines polls until the goroutine count is back to at most
// baseline, failing after a deadline with a dump of the stacks.
func dialerWaitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d, baseline %d\n%s", n, baseline, buf)
		}
		runtime.Gosched()
		select {
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// dialerWaitDone waits for a call to end, failing after a deadline.
func dialerWaitDone(t *testing.T, c *Call) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("call %s did not end", c.CallID())
	}
}

func dialerSDPHasMedia(sdp []byte) bool { return strings.Contains(string(sdp), "m=audio ") }
