//go:build linux && (amd64 || arm64)

package litemedia

import (
	"net"
	"net/netip"
	"syscall"

	"github.com/webdial/webdial/internal/rawudp"
)

// batchReader reads datagrams in batches with recvmmsg (rawudp), issued
// from the socket's RawConn read callback (as the sip package's
// udpBatcher does): the socket is non-blocking, so recvmmsg
// never sleeps in the kernel; with nothing queued the goroutine waits in
// Go's poller. Raw rather than syscall.Syscall keeps the runtime's sysmon
// asleep. Nothing allocates per datagram.
type batchReader struct {
	rc    syscall.RawConn
	in    []rawudp.Mmsghdr
	iov   []syscall.Iovec
	names []syscall.RawSockaddrInet6
	bufs  [][]byte

	got   int
	errno syscall.Errno
	readF func(fd uintptr) bool // built once: a closure per read would allocate
}

func newBatchReader(conn *net.UDPConn) (*batchReader, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	b := &batchReader{
		rc:    rc,
		in:    make([]rawudp.Mmsghdr, muxBatch),
		iov:   make([]syscall.Iovec, muxBatch),
		names: make([]syscall.RawSockaddrInet6, muxBatch),
		bufs:  make([][]byte, muxBatch),
	}
	for i := range muxBatch {
		b.bufs[i] = make([]byte, receiveMTU)
		b.iov[i].Base = &b.bufs[i][0]
		b.iov[i].SetLen(receiveMTU)
	}
	b.readF = b.recv
	return b, nil
}

func (b *batchReader) recv(fd uintptr) bool {
	n, e := rawudp.Recvmmsg(fd, b.in, b.iov, b.names)
	if e == syscall.EAGAIN {
		return false // wait in the poller
	}
	b.got, b.errno = n, e
	return true
}

// read blocks until at least one datagram is queued and returns how many
// it read (at most muxBatch).
func (b *batchReader) read() (int, error) {
	b.got, b.errno = 0, 0
	if err := b.rc.Read(b.readF); err != nil {
		return 0, err
	}
	if b.errno != 0 {
		return 0, b.errno // e.g. ECONNREFUSED from an ICMP error: one-shot
	}
	return b.got, nil
}

// datagram returns the i-th datagram of the last read and its source; ok
// is false for a truncated datagram or an unknown address family.
func (b *batchReader) datagram(i int) (pkt []byte, from netip.AddrPort, ok bool) {
	m := &b.in[i]
	if m.Hdr.Flags&syscall.MSG_TRUNC != 0 || int(m.N) > receiveMTU {
		return nil, netip.AddrPort{}, false
	}
	from = rawudp.AddrPort(&b.names[i], m.Hdr.Namelen)
	if !from.IsValid() {
		return nil, netip.AddrPort{}, false
	}
	return b.bufs[i][:m.N], from, true
}
