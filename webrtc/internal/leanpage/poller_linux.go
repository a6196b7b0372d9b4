//go:build linux

package leanpage

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"unsafe"
)

// Poller reads many pages' sockets from one goroutine: one epoll_wait
// returns every socket with a datagram, and each is read with a single
// non-blocking recvfrom and handled inline (onDatagram). Without it every
// page has its own reader goroutine, and every datagram costs a goroutine
// wake-up, a park and a second recvfrom that returns EAGAIN. It is for a
// load generator driving hundreds of pages; a page's own goroutine is the
// default.
type Poller struct {
	epfd         int
	wakeR, wakeW int // a pipe whose read end ends the loop

	mu     sync.RWMutex
	pages  map[int32]*Client // by socket descriptor
	closed bool

	closeOnce sync.Once
	done      chan struct{}
}

// NewPoller starts the poller's goroutine; Close ends it.
func NewPoller() (*Poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("leanpage: epoll: %w", err)
	}
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(epfd)
		return nil, fmt.Errorf("leanpage: pipe: %w", err)
	}
	p := &Poller{epfd: epfd, wakeR: fds[0], wakeW: fds[1], pages: map[int32]*Client{}, done: make(chan struct{})}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wakeR)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wakeR, &ev); err != nil {
		p.closeFDs()
		return nil, fmt.Errorf("leanpage: epoll: %w", err)
	}
	go p.loop()
	return p, nil
}

// Close ends the poller's goroutine. Pages still on it must be closed
// first (they receive nothing afterwards).
func (p *Poller) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		_, _ = syscall.Write(p.wakeW, []byte{0})
		<-p.done
		p.closeFDs()
	})
	return nil
}

func (p *Poller) closeFDs() {
	_ = syscall.Close(p.wakeR)
	_ = syscall.Close(p.wakeW)
	_ = syscall.Close(p.epfd)
}

// add makes the poller the page's reader.
func (p *Poller) add(c *Client) error {
	rc, err := c.conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("leanpage: poller: %w", err)
	}
	fd := -1
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return fmt.Errorf("leanpage: poller: %w", err)
	}
	c.fd = fd // before the poller can see c (published by mu)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.pages[int32(fd)] = c
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.mu.Lock()
		delete(p.pages, int32(fd))
		p.mu.Unlock()
		return fmt.Errorf("leanpage: poller: %w", err)
	}
	return nil
}

// remove stops reading the page's socket. When it returns the poller is
// not inside the page's onDatagram and never will be again, so the
// socket may be closed (its descriptor number reused).
func (p *Poller) remove(c *Client) {
	ev := syscall.EpollEvent{Fd: int32(c.fd)}
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.fd, &ev)
	p.mu.Lock()
	if p.pages[int32(c.fd)] == c {
		delete(p.pages, int32(c.fd))
	}
	p.mu.Unlock()
	c.rxMu.Lock()
	c.detached = true
	c.rxMu.Unlock()
}

func (p *Poller) loop() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, receiveMTU)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:n] {
			if ev.Fd == int32(p.wakeR) {
				return
			}
			p.mu.RLock()
			c := p.pages[ev.Fd]
			p.mu.RUnlock()
			if c == nil {
				continue
			}
			c.rxMu.Lock()
			if !c.detached {
				if n, from, ok := recvFrom(c.fd, buf); ok {
					c.onDatagram(buf[:n], from)
				}
			}
			c.rxMu.Unlock()
		}
	}
}

// recvFrom reads one datagram without blocking and without allocating
// (syscall.Recvfrom allocates the source address).
func recvFrom(fd int, buf []byte) (int, netip.AddrPort, bool) {
	var rsa syscall.RawSockaddrAny
	l := uint32(syscall.SizeofSockaddrAny)
	n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, uintptr(fd),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), syscall.MSG_DONTWAIT,
		uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&l)))
	if errno != 0 {
		return 0, netip.AddrPort{}, false
	}
	switch rsa.Addr.Family {
	case syscall.AF_INET:
		sa := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&rsa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		return int(n), netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), port), true
	case syscall.AF_INET6:
		sa := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&rsa))
		port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
		return int(n), netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port), true
	}
	return 0, netip.AddrPort{}, false
}
