package sip

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

const tortureDir = "/work/shared/testdata/rfc4475"

// TestServerTortureMessages sends every RFC 4475 message over UDP and TCP
// to a running server and checks after each one that the server still
// answers OPTIONS, that whatever it answered is a well-formed response
// (never a 2xx to an invalid message's INVITE), and that no goroutine was
// left behind.
func TestServerTortureMessages(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	if len(files) == 0 {
		t.Skip("RFC 4475 corpus not found at " + tortureDir)
	}
	ts := startServer(t, func(s *Server) { s.AllowUnauthenticated = true })
	ping(t, ts.udp)
	base := runtime.NumGoroutine()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		res, err := exchange(t, ts.udp, string(data), 300*time.Millisecond)
		if err == nil {
			status, serr := statusOf(res)
			if serr != nil {
				t.Errorf("%s: answer is not a SIP response: %q", name, res)
			}
			if strings.HasPrefix(name, "invalid/") && strings.HasPrefix(status, "2") && strings.Contains(string(data[:16]), "INVITE") {
				t.Errorf("%s: invalid INVITE answered %s", name, status)
			}
			t.Logf("%s: %s", name, status)
		} else {
			t.Logf("%s: no answer (dropped)", name)
		}
		c, err := net.Dial("tcp", ts.tcp.String())
		if err != nil {
			t.Fatalf("%s: tcp dial: %v", name, err)
		}
		_, _ = c.Write(data)
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = c.Read(make([]byte, 4096))
		c.Close()
		ping(t, ts.udp)
	}
	waitGoroutinesAtMost(t, base+5)
}

// waitGoroutinesAtMost waits (bounded) for the goroutine count to drop to
// n; transactions that answered torture INVITEs live up to 32 s (Timer H).
func waitGoroutinesAtMost(t *testing.T, n int) {
	t.Helper()
	if !pollUntil(40*time.Second, func() bool { return runtime.NumGoroutine() <= n }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines %d > %d after 40 s\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
	}
}
