package testpeer

import (
	"net"
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
