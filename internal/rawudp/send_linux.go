//go:build linux && (amd64 || arm64)

package rawudp

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

// Sendmmsg sends the datagrams of out (headers filled by the caller) on
// the non-blocking socket fd, retrying on EINTR. It returns how many the
// kernel took, which may be fewer than len(out), and the errno (EAGAIN
// when the send buffer is full). It must run inside a RawConn callback;
// it does not allocate.
func Sendmmsg(fd uintptr, out []Mmsghdr) (int, syscall.Errno) {
	if len(out) == 0 {
		return 0, 0
	}
	for {
		n, _, e := syscall.RawSyscall6(SysSendmmsg, fd, uintptr(unsafe.Pointer(&out[0])), uintptr(len(out)), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		return int(n), e
	}
}

// PutSockaddr writes ap into sa as the kernel expects it for a socket of
// family (syscall.AF_INET or AF_INET6; an IPv4 address on an AF_INET6
// socket becomes v4-mapped) and returns its length, or 0 if ap cannot be
// reached from such a socket (IPv6 on AF_INET, an invalid address). Zones
// are ignored: a link-local destination goes out on the default scope.
func PutSockaddr(sa *syscall.RawSockaddrInet6, ap netip.AddrPort, family int) uint32 {
	ip := ap.Addr().Unmap()
	if !ip.IsValid() {
		return 0
	}
	port := ap.Port()
	switch {
	case family == syscall.AF_INET && ip.Is4():
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: ip.As4()}
		putPort(&sa4.Port, port)
		return syscall.SizeofSockaddrInet4
	case family == syscall.AF_INET6:
		*sa = syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: netip.AddrFrom16(ip.As16()).As16()}
		putPort(&sa.Port, port)
		return syscall.SizeofSockaddrInet6
	}
	return 0
}

// SocketFamily is the address family of the socket fd (SO_DOMAIN).
func SocketFamily(fd uintptr) (int, error) {
	return syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_DOMAIN)
}

func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// Sender queues datagrams for one UDP socket and sends them with as few
// Sendmmsg calls as it can, from the socket's RawConn write callback (a
// full send buffer waits in Go's poller). One goroutine at a time may use
// it. Nothing allocates per datagram: Add copies into buffers made once.
type Sender struct {
	rc     syscall.RawConn
	family int
	mtu    int
	out    []Mmsghdr
	iov    []syscall.Iovec
	names  []syscall.RawSockaddrInet6
	bufs   [][]byte

	n, sent int
	failed  int // datagrams the kernel refused in the current Flush
	writeF  func(fd uintptr) bool
}

// NewSender prepares batches of up to n datagrams of up to mtu bytes.
func NewSender(conn *net.UDPConn, n, mtu int) (*Sender, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &Sender{rc: rc, mtu: mtu,
		out:   make([]Mmsghdr, n),
		iov:   make([]syscall.Iovec, n),
		names: make([]syscall.RawSockaddrInet6, n),
		bufs:  make([][]byte, n),
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { s.family, ferr = SocketFamily(fd) }); err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, ferr
	}
	for i := range n {
		s.bufs[i] = make([]byte, mtu)
		s.iov[i].Base = &s.bufs[i][0]
		h := &s.out[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&s.names[i]))
		h.Iov = &s.iov[i]
		h.Iovlen = 1
	}
	s.writeF = s.send
	return s, nil
}

// Len is how many datagrams are queued.
func (s *Sender) Len() int { return s.n }

// Add queues a copy of pkt for to, sending the queue first if it is full.
// It returns false, queuing nothing, if pkt is longer than the mtu or to
// cannot be reached from the socket's address family.
func (s *Sender) Add(pkt []byte, to netip.AddrPort) bool {
	if len(pkt) > s.mtu {
		return false
	}
	if s.n == len(s.out) {
		_ = s.Flush()
	}
	i := s.n
	nl := PutSockaddr(&s.names[i], to, s.family)
	if nl == 0 {
		return false
	}
	s.out[i].Hdr.Namelen = nl
	s.iov[i].SetLen(copy(s.bufs[i], pkt))
	s.n++
	return true
}

// Flush sends every queued datagram and empties the queue. It returns an
// error if the socket is closed or some datagram was refused (dropped).
func (s *Sender) Flush() error {
	if s.n == 0 {
		return nil
	}
	s.sent, s.failed = 0, 0
	err := s.rc.Write(s.writeF)
	failed := s.failed
	s.n, s.sent, s.failed = 0, 0, 0
	if err != nil {
		return err
	}
	if failed > 0 {
		return syscall.EIO
	}
	return nil
}

func (s *Sender) send(fd uintptr) bool {
	for s.sent < s.n {
		k, e := Sendmmsg(fd, s.out[s.sent:s.n])
		switch {
		case e == syscall.EAGAIN:
			return false // wait in the poller for room
		case e != 0:
			// The first datagram was refused (e.g. EMSGSIZE, an
			// unreachable route): drop it, send the rest.
			s.failed++
			s.sent++
		default:
			s.sent += k
		}
	}
	return true
}
