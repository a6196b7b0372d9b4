//go:build linux

package litemedia

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The shared socket asks for a receive buffer far above the kernel's
// default: it queues every call's packets.
func TestMuxReadBuffer(t *testing.T) {
	raw, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	if err != nil {
		t.Skip(err)
	}
	rmemMax, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Skip(err)
	}
	m, err := NewMux(MuxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rc, err := m.conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := rc.Control(func(fd uintptr) {
		got, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	// Linux doubles the requested size for its bookkeeping.
	if want := 2 * min(defaultMuxReadBuffer, rmemMax); got < want {
		t.Fatalf("SO_RCVBUF %d, want >= %d", got, want)
	}
}
