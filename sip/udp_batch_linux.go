//go:build linux && (amd64 || arm64)

package sip

import (
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"github.com/webdial/webdial/internal/rawudp"
)

// udpBatcher moves datagrams in batches with recvmmsg and sendmmsg issued
// as raw system calls from the socket's RawConn callbacks. The socket is
// non-blocking, so neither call ever sleeps in the kernel: when nothing is
// queued the goroutine waits in Go's poller like any other socket read.
// Raw (rather than syscall.Syscall) matters at moderate rates: every
// entersyscall after the process went idle wakes the runtime's sysmon
// thread, which then polls every 20 µs for a millisecond or more — on a
// 2-CPU virtual machine that alone cost ~10% of the registrar's CPU.
// Nothing here allocates per datagram.
type udpBatcher struct {
	rc syscall.RawConn

	in      []rawudp.Mmsghdr
	inIov   []syscall.Iovec
	inName  []syscall.RawSockaddrInet6
	bufs    [][]byte
	out     []rawudp.Mmsghdr
	outIov  []syscall.Iovec
	outName []syscall.RawSockaddrInet6
	nOut    int

	// Results of the callbacks, which are built once (a closure per call
	// would allocate).
	got           int
	sent          int
	errno         syscall.Errno
	wait          bool
	waited        bool // the last read waited in the poller
	blocked       bool // the last send through Control met a full buffer
	readF         func(fd uintptr) bool
	writeF        func(fd uintptr) bool
	controlReadF  func(fd uintptr)
	controlWriteF func(fd uintptr)
}

func newUDPBatcher(conn *net.UDPConn) (*udpBatcher, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	b := &udpBatcher{
		rc:      rc,
		in:      make([]rawudp.Mmsghdr, udpBatch),
		inIov:   make([]syscall.Iovec, udpBatch),
		inName:  make([]syscall.RawSockaddrInet6, udpBatch),
		bufs:    make([][]byte, udpBatch),
		out:     make([]rawudp.Mmsghdr, udpBatch),
		outIov:  make([]syscall.Iovec, udpBatch),
		outName: make([]syscall.RawSockaddrInet6, udpBatch),
	}
	for i := range udpBatch {
		b.bufs[i] = make([]byte, maxUDPMessage+1)
		b.inIov[i].Base = &b.bufs[i][0]
		b.inIov[i].SetLen(len(b.bufs[i]))
		b.out[i].Hdr.Iov = &b.outIov[i]
		b.out[i].Hdr.Iovlen = 1
		b.out[i].Hdr.Name = (*byte)(unsafe.Pointer(&b.outName[i]))
	}
	b.readF = b.recv
	b.writeF = b.send
	b.controlReadF = func(fd uintptr) { b.recv(fd) }
	b.controlWriteF = func(fd uintptr) { b.blocked = !b.send(fd) }
	return b, nil
}

func (b *udpBatcher) recv(fd uintptr) bool {
	n, e := rawudp.Recvmmsg(fd, b.in, b.inIov, b.inName)
	if e == syscall.EAGAIN && b.wait {
		b.waited = true
		return false // let the poller wait for readability
	}
	b.got, b.errno = n, e
	return true
}

func (b *udpBatcher) send(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall6(rawudp.SysSendmmsg, fd, uintptr(unsafe.Pointer(&b.out[b.sent])), uintptr(b.nOut-b.sent), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e == syscall.EAGAIN {
			return false // send buffer full: wait until writable
		}
		if e != 0 {
			b.errno = e
			return true
		}
		b.sent += int(n)
		if b.sent >= b.nOut || n == 0 {
			return true
		}
	}
}

// read fills the batch with the datagrams queued on the socket and
// reports how many, and whether it had to wait for the first. With wait
// it blocks (in the poller) until at least one arrives; without, it
// returns 0 when none is queued. Without wait
// the call goes through Control, not Read: Read would queue behind the
// waiting reader, which holds the socket's read lock while it waits, and
// be woken on another thread when that one returns.
func (b *udpBatcher) read(wait bool) (n int, waited bool, err error) {
	b.wait, b.waited, b.got, b.errno = wait, false, 0, 0
	if wait {
		err = b.rc.Read(b.readF)
	} else {
		err = b.rc.Control(b.controlReadF)
	}
	if err != nil {
		return 0, b.waited, err
	}
	switch b.errno {
	case 0:
		return b.got, b.waited, nil
	case syscall.EAGAIN:
		return 0, b.waited, nil
	}
	return 0, b.waited, b.errno
}

// datagram returns the i-th datagram read, its source, and whether it
// was truncated (larger than any request the server accepts).
func (b *udpBatcher) datagram(i int) (data []byte, src netip.AddrPort, truncated bool) {
	n := int(b.in[i].N)
	if n > maxUDPMessage || b.in[i].Hdr.Flags&syscall.MSG_TRUNC != 0 {
		return nil, netip.AddrPort{}, true
	}
	return b.bufs[i][:n], rawudp.AddrPort(&b.inName[i], b.in[i].Hdr.Namelen), false
}

// reply queues data, which must stay unchanged until flush, to the source
// of the i-th datagram read.
func (b *udpBatcher) reply(i int, data []byte) {
	if b.nOut == len(b.out) || len(data) == 0 {
		return
	}
	k := b.nOut
	b.outName[k] = b.inName[i]
	b.out[k].Hdr.Namelen = b.in[i].Hdr.Namelen
	b.outIov[k].Base = &data[0]
	b.outIov[k].SetLen(len(data))
	b.nOut++
}

// flush sends the queued replies. A reply the kernel refuses is dropped:
// UDP clients retransmit.
func (b *udpBatcher) flush() {
	if b.nOut == 0 {
		return
	}
	b.sent, b.errno = 0, 0
	for b.sent < b.nOut {
		before := b.sent
		// Control first: sends never wait for each other on the
		// socket's write lock; Write (which waits until the socket is
		// writable) only when the send buffer is full.
		b.blocked = false
		err := b.rc.Control(b.controlWriteF)
		if err == nil && b.blocked {
			err = b.rc.Write(b.writeF)
		}
		if err != nil {
			break
		}
		if b.errno != 0 {
			// sendmmsg stops at the first datagram it cannot send
			// (unreachable destination, ...): skip that one.
			b.errno = 0
			b.sent++
		}
		if b.sent == before {
			break // sendmmsg reported nothing sent and no error: never spin
		}
	}
	for i := range b.nOut {
		b.outIov[i].Base = nil // do not keep replies alive
	}
	b.nOut = 0
}

// batchReadsGated: reads can be non-blocking, so only the first reader
// waits on the socket and the others help only while it has a backlog
// (see udpMux.read).
const batchReadsGated = true
