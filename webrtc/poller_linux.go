//go:build linux

package webrtc

import (
	"net"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"

	"github.com/pion/rtp"
)

// sipPoller reads every call's SIP-side RTP socket from one goroutine with
// its own epoll set, instead of one goroutine per call parked in Go's
// netpoller: a packet then costs no goroutine wake-up, and a burst of ready
// sockets is served in one pass.
type sipPoller struct {
	epfd         int
	wakeR, wakeW int        // a pipe whose read end in the set stops the loop
	mu           sync.Mutex // held while serving a relay, and to add or remove one
	byFD         map[int32]*relay
	done         chan struct{}
}

func newSIPPoller() (*sipPoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(epfd)
		return nil, err
	}
	p := &sipPoller{epfd: epfd, wakeR: pipe[0], wakeW: pipe[1], byFD: map[int32]*relay{}, done: make(chan struct{})}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wakeR, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wakeR)}); err != nil {
		p.closeFDs()
		return nil, err
	}
	go p.loop()
	return p, nil
}

func connFD(c *net.UDPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, err
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return 0, err
	}
	return fd, nil
}

func (p *sipPoller) add(r *relay) error {
	fd, err := connFD(r.conn)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.byFD[int32(fd)] = r
	r.pollFD = fd
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)})
}

// remove must run before the relay's socket is closed, so that a reused
// descriptor number is never mistaken for it.
func (p *sipPoller) remove(r *relay) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byFD[int32(r.pollFD)] == r {
		delete(p.byFD, int32(r.pollFD))
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, r.pollFD, nil)
	}
}

func (p *sipPoller) close() {
	_, _ = syscall.Write(p.wakeW, []byte{0})
	<-p.done
	p.closeFDs()
}

func (p *sipPoller) closeFDs() {
	_ = syscall.Close(p.epfd)
	_ = syscall.Close(p.wakeR)
	_ = syscall.Close(p.wakeW)
}

func (p *sipPoller) loop() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 128)
	buf := make([]byte, relayMTU)
	var hdr rtp.Header
	var rsa syscall.RawSockaddrInet6
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return // epfd closed
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			if ev.Fd == int32(p.wakeR) {
				p.mu.Unlock()
				return
			}
			r := p.byFD[ev.Fd]
			if r == nil {
				continue
			}
			// Drain the socket: level-triggered, so anything left is
			// reported again.
			for range 64 {
				l := uint32(unsafe.Sizeof(rsa))
				m, _, e := syscall.Syscall6(syscall.SYS_RECVFROM, uintptr(ev.Fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
					syscall.MSG_DONTWAIT, uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)))
				if e != 0 {
					break
				}
				from, ok := sockaddrAddrPort(&rsa)
				if !ok {
					continue
				}
				r.fromSIP(buf[:m], from, &hdr)
			}
		}
		p.mu.Unlock()
	}
}

func sockaddrAddrPort(rsa *syscall.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch rsa.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := uint16(sa.Port>>8 | sa.Port<<8)
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port), true
	case syscall.AF_INET6:
		port := uint16(rsa.Port>>8 | rsa.Port<<8)
		return netip.AddrPortFrom(netip.AddrFrom16(rsa.Addr), port), true
	}
	return netip.AddrPort{}, false
}
