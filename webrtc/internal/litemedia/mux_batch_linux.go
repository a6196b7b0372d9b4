//go:build linux && (amd64 || arm64)

package litemedia

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// mmsghdr is struct mmsghdr of recvmmsg(2).
type mmsghdr struct {
	hdr syscall.Msghdr
	n   uint32
	_   [4]byte
}

// batchReader reads datagrams in batches with recvmmsg, issued as a raw
// system call from the socket's RawConn read callback (as the sip
// package's udpBatcher does): the socket is non-blocking, so recvmmsg
// never sleeps in the kernel; with nothing queued the goroutine waits in
// Go's poller. Raw rather than syscall.Syscall keeps the runtime's sysmon
// asleep. Nothing allocates per datagram.
type batchReader struct {
	rc    syscall.RawConn
	in    []mmsghdr
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
		in:    make([]mmsghdr, muxBatch),
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
	for i := range b.in {
		h := &b.in[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&b.names[i]))
		h.Namelen = uint32(unsafe.Sizeof(b.names[i]))
		h.Iov = &b.iov[i]
		h.Iovlen = 1
		h.Control, h.Controllen, h.Flags = nil, 0, 0
	}
	for {
		n, _, e := syscall.RawSyscall6(sysRecvmmsg, fd, uintptr(unsafe.Pointer(&b.in[0])), uintptr(len(b.in)), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			return false // wait in the poller
		}
		b.got, b.errno = int(n), e
		return true
	}
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
	if m.hdr.Flags&syscall.MSG_TRUNC != 0 || int(m.n) > receiveMTU {
		return nil, netip.AddrPort{}, false
	}
	sa := &b.names[i]
	switch sa.Family {
	case syscall.AF_INET:
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), ntohs(sa4.Port))
	case syscall.AF_INET6:
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.Scope_id != 0 && ip.Is6() {
			ip = ip.WithZone(strconv.Itoa(int(sa.Scope_id))) // net accepts numeric zones
		}
		from = netip.AddrPortFrom(ip, ntohs(sa.Port))
	default:
		return nil, netip.AddrPort{}, false
	}
	return b.bufs[i][:m.n], from, true
}

func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}
