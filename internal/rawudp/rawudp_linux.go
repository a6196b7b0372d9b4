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
