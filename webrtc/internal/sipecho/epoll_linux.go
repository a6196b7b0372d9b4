//go:build linux && (amd64 || arm64)

package sipecho

import (
	"net/netip"
	"sync"
	"syscall"

	"github.com/webdial/webdial/internal/rawudp"
)

// epollBatch is how many datagrams one recvmmsg/sendmmsg moves at most.
const epollBatch = 64

// epollEcho echoes RTP on many per-call UDP sockets (Options.EpollMedia)
// from one goroutine: the sockets are raw non-blocking descriptors in one
// epoll set, each ready one drained with recvmmsg and echoed to the
// sources with sendmmsg. A distinct port per call costs no goroutine.
type epollEcho struct {
	epfd int
	wake [2]int // pipe: a byte on wake[1] ends the loop

	mu     sync.Mutex // held while the loop uses a socket, and to add or remove one
	socks  map[int32]*epollSock
	nextID int32
	closed bool

	in    []rawudp.Mmsghdr
	iov   []syscall.Iovec
	names []syscall.RawSockaddrInet6
	bufs  [][]byte
	done  chan struct{}

	observe func([]byte) // Options.Observe, or nil
}

type epollSock struct {
	fd   int
	call *Call
}

// wakeID is the epoll data of the wake pipe; sockets get ids from 1.
const wakeID = 0

func newEpollEcho(observe func([]byte)) (*epollEcho, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	e := &epollEcho{epfd: epfd, socks: map[int32]*epollSock{}, done: make(chan struct{}),
		in: make([]rawudp.Mmsghdr, epollBatch), iov: make([]syscall.Iovec, epollBatch),
		names: make([]syscall.RawSockaddrInet6, epollBatch), bufs: make([][]byte, epollBatch),
		observe: observe}
	if err := syscall.Pipe2(e.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		_ = syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: wakeID}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, e.wake[0], &ev); err != nil {
		e.release()
		return nil, err
	}
	for i := range e.bufs {
		e.bufs[i] = make([]byte, 1500)
		e.iov[i].Base = &e.bufs[i][0]
	}
	return e, nil
}

// listen binds a new media socket on 127.0.0.1 for c and returns its
// address; stop it with remove(id).
func (e *epollEcho) listen(c *Call) (int32, netip.AddrPort, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	fail := func(err error) (int32, netip.AddrPort, error) {
		_ = syscall.Close(fd)
		return 0, netip.AddrPort{}, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fail(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail(err)
	}
	sa4 := sa.(*syscall.SockaddrInet4)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return fail(syscall.EBADF)
	}
	e.nextID++
	id := e.nextID
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: id}
	if err := syscall.EpollCtl(e.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fail(err)
	}
	e.socks[id] = &epollSock{fd: fd, call: c}
	return id, netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(sa4.Port)), nil
}

// remove closes socket id. The loop holds mu while it uses a socket, so
// the descriptor is never closed (and reused) under it.
func (e *epollEcho) remove(id int32) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.socks[id]; s != nil {
		_ = syscall.EpollCtl(e.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
		_ = syscall.Close(s.fd)
		delete(e.socks, id)
	}
}

// run echoes until stop.
func (e *epollEcho) run() {
	defer close(e.done)
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(e.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		e.mu.Lock()
		for _, ev := range events[:n] {
			if ev.Fd == wakeID {
				e.mu.Unlock()
				return
			}
			if s := e.socks[ev.Fd]; s != nil {
				e.drain(s)
			}
		}
		e.mu.Unlock()
	}
}

// drain echoes what s has queued, a batch at a time.
func (e *epollEcho) drain(s *epollSock) {
	for {
		for i := range e.iov {
			e.iov[i].SetLen(len(e.bufs[i]))
		}
		n, errno := rawudp.Recvmmsg(uintptr(s.fd), e.in, e.iov, e.names)
		if errno != 0 || n <= 0 {
			return // EAGAIN: drained
		}
		for i := range n {
			e.iov[i].SetLen(int(e.in[i].N)) // the reply is the datagram, to its source
			if e.observe != nil {
				e.observe(e.bufs[i][:e.in[i].N])
			}
		}
		sent := 0
		for sent < n {
			k, errno := rawudp.Sendmmsg(uintptr(s.fd), e.in[sent:n])
			if errno != 0 {
				sent++ // drop the one refused
				continue
			}
			sent += k
			s.call.Echoed.Add(int64(k))
		}
		if n < len(e.in) {
			return
		}
	}
}

// stop ends the loop and closes every socket.
func (e *epollEcho) stop() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	_, _ = syscall.Write(e.wake[1], []byte{1})
	<-e.done
	e.mu.Lock()
	for id := range e.socks {
		s := e.socks[id]
		_ = syscall.Close(s.fd)
		delete(e.socks, id)
	}
	e.mu.Unlock()
	e.release()
}

func (e *epollEcho) release() {
	_ = syscall.Close(e.wake[0])
	_ = syscall.Close(e.wake[1])
	_ = syscall.Close(e.epfd)
}

const epollSupported = true
