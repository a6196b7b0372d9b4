package testpeer

import (
	"net"
	"strconv"
	"testing"
)

// FreePort returns a loopback port that the OS reported free for both UDP
// and TCP on 127.0.0.1, since SIP peers usually bind both. The port is
// released before returning, so a race with another process is possible
// but unlikely; the kernel hands out ephemeral ports round-robin.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 50 {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testpeer: no free tcp port: %v", err)
		}
		port := tl.Addr().(*net.TCPAddr).Port
		ul, err := net.ListenPacket("udp", tl.Addr().String())
		tl.Close()
		if err != nil {
			continue
		}
		ul.Close()
		return port
	}
	t.Fatalf("testpeer: no port free for both udp and tcp after 50 tries")
	return 0
}

// FreePortRun returns a port p such that p .. p+n-1 are all free for TCP
// and UDP on 127.0.0.1, for peers that bind the ports after the one they
// are given (baresip listens for TLS on sip_listen's port + 1).
func FreePortRun(t testing.TB, n int) int {
	t.Helper()
	for range 50 {
		p := FreePort(t)
		if p+n-1 <= 65535 && portsFree(p+1, p+n-1) {
			return p
		}
	}
	t.Fatalf("testpeer: no run of %d free ports after 50 tries", n)
	return 0
}

// portsFree reports whether every port in [first, last] can be bound for
// TCP and UDP on 127.0.0.1 right now.
func portsFree(first, last int) bool {
	for p := first; p <= last; p++ {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		tl, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		ul, err := net.ListenPacket("udp", addr)
		tl.Close()
		if err != nil {
			return false
		}
		ul.Close()
	}
	return true
}

// FreePorts returns n distinct ports from [FreePort].
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	seen := make(map[int]bool, n)
	ports := make([]int, 0, n)
	for len(ports) < n {
		p := FreePort(t)
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports
}
