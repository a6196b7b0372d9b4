package webrtc

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"unsafe"
)

var errFamily = errors.New("webrtc: address family does not match the socket")

// connectUDP connects conn to ap (connect(2) on a datagram socket: sets
// the default destination and filters sources).
func connectUDP(conn *net.UDPConn, ap netip.AddrPort) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	err = rc.Control(func(fd uintptr) {
		local, err := syscall.Getsockname(int(fd))
		if err != nil {
			cerr = err
			return
		}
		var sa syscall.Sockaddr
		switch local.(type) {
		case *syscall.SockaddrInet4:
			if !ap.Addr().Unmap().Is4() {
				cerr = errFamily
				return
			}
			sa = &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().Unmap().As4()}
		case *syscall.SockaddrInet6:
			sa = &syscall.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
		default:
			cerr = errFamily
			return
		}
		cerr = syscall.Connect(int(fd), sa)
	})
	if err != nil {
		return err
	}
	return cerr
}

// disconnectUDP dissolves the association (connect(2) with AF_UNSPEC).
func disconnectUDP(conn *net.UDPConn) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var cerr error
	err = rc.Control(func(fd uintptr) {
		sa := syscall.RawSockaddrInet6{Family: syscall.AF_UNSPEC}
		_, _, errno := syscall.Syscall(syscall.SYS_CONNECT, fd, uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
		if errno != 0 {
			cerr = errno
		}
	})
	if err != nil {
		return err
	}
	return cerr
}
