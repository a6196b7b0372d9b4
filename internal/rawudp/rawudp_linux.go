//go:build linux && (amd64 || arm64)

package rawudp

import (
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"
)

// Mmsghdr is struct mmsghdr of recvmmsg(2) and sendmmsg(2).
type Mmsghdr struct {
	Hdr syscall.Msghdr
	N   uint32
	_   [4]byte
}

// Recvmmsg resets the headers of in to receive into iov[i] with the
// source in names[i], then reads up to len(in) datagrams from the
// non-blocking socket fd, retrying on EINTR. It returns how many arrived
// and the errno (EAGAIN when none is queued). It must run inside a
// RawConn callback; it does not allocate.
func Recvmmsg(fd uintptr, in []Mmsghdr, iov []syscall.Iovec, names []syscall.RawSockaddrInet6) (int, syscall.Errno) {
	for i := range in {
		h := &in[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&names[i]))
		h.Namelen = uint32(unsafe.Sizeof(names[i]))
		h.Iov = &iov[i]
		h.Iovlen = 1
		h.Control, h.Controllen, h.Flags = nil, 0, 0
	}
	for {
		n, _, e := syscall.RawSyscall6(SysRecvmmsg, fd, uintptr(unsafe.Pointer(&in[0])), uintptr(len(in)), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		return int(n), e
	}
}

// AddrPort decodes a source address the kernel wrote (n bytes of sa);
// the zero AddrPort for an unknown family or a short IPv6 address.
// Link-local zones are interface names, as net.UDPAddr reports them.
func AddrPort(sa *syscall.RawSockaddrInet6, n uint32) netip.AddrPort {
	switch sa.Family {
	case syscall.AF_INET:
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), ntohs(sa4.Port))
	case syscall.AF_INET6:
		if n < uint32(unsafe.Sizeof(*sa)) {
			return netip.AddrPort{}
		}
		ip := netip.AddrFrom16(sa.Addr).Unmap()
		if sa.Scope_id != 0 && ip.Is6() {
			ip = ip.WithZone(zoneName(int(sa.Scope_id)))
		}
		return netip.AddrPortFrom(ip, ntohs(sa.Port))
	}
	return netip.AddrPort{}
}

// zoneName is the interface name for a link-local scope, as net.UDPAddr
// would report it.
func zoneName(index int) string {
	if ifi, err := net.InterfaceByIndex(index); err == nil {
		return ifi.Name
	}
	return strconv.Itoa(index)
}

func ntohs(p uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return uint16(b[0])<<8 | uint16(b[1])
}

// Batch reads datagrams from one UDP socket in batches with Recvmmsg,
// issued from the socket's RawConn read callback: the socket is
// non-blocking, so recvmmsg never sleeps in the kernel; with nothing
// queued the goroutine waits in Go's poller. One goroutine at a time may
// use it. Nothing allocates per read.
type Batch struct {
	rc    syscall.RawConn
	mtu   int
	in    []Mmsghdr
	iov   []syscall.Iovec
	names []syscall.RawSockaddrInet6
	bufs  [][]byte

	got   int
	errno syscall.Errno
	readF func(fd uintptr) bool // built once: a closure per read would allocate
}

// NewBatch prepares reads of up to n datagrams of up to mtu bytes each.
func NewBatch(conn *net.UDPConn, n, mtu int) (*Batch, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	b := &Batch{
		rc: rc, mtu: mtu,
		in:    make([]Mmsghdr, n),
		iov:   make([]syscall.Iovec, n),
		names: make([]syscall.RawSockaddrInet6, n),
		bufs:  make([][]byte, n),
	}
	for i := range n {
		b.bufs[i] = make([]byte, mtu)
		b.iov[i].Base = &b.bufs[i][0]
		b.iov[i].SetLen(mtu)
	}
	b.readF = b.recv
	return b, nil
}

func (b *Batch) recv(fd uintptr) bool {
	n, e := Recvmmsg(fd, b.in, b.iov, b.names)
	if e == syscall.EAGAIN {
		return false // wait in the poller
	}
	b.got, b.errno = n, e
	return true
}

// Read blocks until at least one datagram is queued and returns how many
// it read. The datagrams stay valid until the next Read. An error wrapping
// net.ErrClosed means the socket is closed; other errnos (ECONNREFUSED
// from an ICMP error) are one-shot.
func (b *Batch) Read() (int, error) {
	b.got, b.errno = 0, 0
	if err := b.rc.Read(b.readF); err != nil {
		return 0, err
	}
	if b.errno != 0 {
		return 0, b.errno
	}
	return b.got, nil
}

// Datagram returns the i-th datagram of the last Read and its source; ok
// is false for a truncated datagram or an unknown address family.
func (b *Batch) Datagram(i int) (pkt []byte, from netip.AddrPort, ok bool) {
	m := &b.in[i]
	if m.Hdr.Flags&syscall.MSG_TRUNC != 0 || int(m.N) > b.mtu {
		return nil, netip.AddrPort{}, false
	}
	from = AddrPort(&b.names[i], m.Hdr.Namelen)
	if !from.IsValid() {
		return nil, netip.AddrPort{}, false
	}
	return b.bufs[i][:m.N], from, true
}
