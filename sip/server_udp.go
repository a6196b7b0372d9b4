package sip

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// udpBatch is how many datagrams one recvmmsg/sendmmsg moves at most.
const udpBatch = 32

// helperDelay is how long the waiting reader must have been busy without
// waiting before it calls in a helper. Bursts (SIPp sends its load in
// bursts every few milliseconds) are drained by one reader well within
// it; only sustained load gets more readers, and each costs thread
// wake-ups.
const helperDelay = 2 * time.Millisecond

// udpMux owns the server's UDP socket. Its readers take datagrams in
// batches, answer everything outside admitted calls statelessly (replies
// go out in batches too) and hand only the rest to sipgo, which reads them
// from pipe as if it were the socket. sipgo therefore never sees — nor
// keeps per-source state for (sipgo issue #150) — REGISTER, OPTIONS,
// rejected INVITEs or garbage, and syscalls per message drop well below
// sipgo's one recvfrom and one sendto per message.
//
// Where reads can be non-blocking (batchReadsGated), only the first reader
// waits on the socket; the others sleep until it has found datagrams
// queued at every read for helperDelay, and then read without waiting
// until the socket is empty. Readers that all wait on the socket take
// turns on its read lock, and every turn wakes a goroutine on another
// thread: with helpers called in on every burst, regbench measured about
// 40 µs per registration at 8,000/s on 2 CPUs, with one reader 30.
type udpMux struct {
	st      *state
	conn    *net.UDPConn
	pipe    *pipeConn
	backlog chan struct{}
	// replyBufs holds the buffers replies are written into, each kept
	// until its batch is sent.
	replyBufs sync.Pool
}

func newUDPMux(st *state, conn *net.UDPConn) *udpMux {
	return &udpMux{st: st, conn: conn, pipe: newPipeConn(conn), backlog: make(chan struct{}, 1),
		replyBufs: sync.Pool{New: func() any { return new(bytes.Buffer) }}}
}

// read is one reader goroutine; it returns when the socket is closed.
// The first reader (primary) waits on the socket, the others are helpers.
func (m *udpMux) read(primary bool) error {
	b, err := newUDPBatcher(m.conn)
	if err != nil {
		return err
	}
	wait := primary || !batchReadsGated
	bufs := make([]*bytes.Buffer, 0, udpBatch)
	failures := 0
	idle := true            // a helper with no backlog to work on
	busySince := time.Now() // the primary's last wait in the poller
	for {
		if !wait && idle {
			select {
			case <-m.backlog:
			case <-m.pipe.closed:
				return nil
			}
		}
		n, waited, err := b.read(wait)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Transient errors (an ICMP error queued on the socket,
			// EINTR) must not stop the server; a persistent one does.
			if failures++; failures > 100 {
				return err
			}
			continue
		}
		failures = 0
		switch {
		case !batchReadsGated:
		case !wait:
			idle = n == 0
		case waited:
			busySince = time.Now()
		case time.Since(busySince) > helperDelay:
			select {
			case m.backlog <- struct{}{}:
			default: // a helper is already called in
			}
		}
		for i := range n {
			if buf := m.serve(b, i); buf != nil {
				bufs = append(bufs, buf)
			}
		}
		b.flush()
		for i, buf := range bufs {
			m.replyBufs.Put(buf)
			bufs[i] = nil
		}
		bufs = bufs[:0]
	}
}

// serve handles the i-th datagram of a batch: a reply is queued on b
// (from the reply cache, or written into the returned pooled buffer, which
// must live until b is flushed), or the datagram goes to sipgo.
func (m *udpMux) serve(b *udpBatcher, i int) *bytes.Buffer {
	data, src, truncated := b.datagram(i)
	if truncated {
		return nil
	}
	st := m.st
	register := bytes.HasPrefix(data, []byte("REGISTER "))
	var key uint64
	if register {
		key = st.replies.key(src, data)
		if reply := st.replies.get(key); reply != nil && st.guard.allow(src.Addr()) {
			b.reply(i, reply)
			return nil
		}
	}
	if !st.guard.allow(src.Addr()) {
		return nil
	}
	if register {
		buf := m.replyBufs.Get().(*bytes.Buffer)
		buf.Reset()
		if code, ok := st.fastRegisterSafe(data, src, buf); ok {
			if code == 200 {
				st.replies.put(key, buf.Bytes())
			}
			b.reply(i, buf.Bytes())
			return buf
		}
		m.replyBufs.Put(buf)
	}
	res, pass := st.filterUDP(data, src)
	if pass {
		m.pipe.deliver(append([]byte(nil), data...), net.UDPAddrFromAddrPort(src))
		return nil
	}
	if res == nil {
		return nil
	}
	buf := m.replyBufs.Get().(*bytes.Buffer)
	buf.Reset()
	res.StringWrite(buf)
	if register && res.StatusCode == 200 {
		m.st.replies.put(key, buf.Bytes())
	}
	b.reply(i, buf.Bytes())
	return buf
}

// fastRegisterSafe is fastRegister; a panic (a bug) is logged and the
// datagram dropped, as filterUDP does (the client retransmits).
func (st *state) fastRegisterSafe(data []byte, src netip.AddrPort, buf *bytes.Buffer) (code int, handled bool) {
	defer func() {
		if r := recover(); r != nil {
			st.log.Error("sip: register fast path panic", "source", src.String(), "panic", r)
			buf.Reset()
			code, handled = 0, true
		}
	}()
	return st.fastRegister(data, src, buf)
}

// datagram is one message handed to sipgo.
type datagram struct {
	data []byte
	addr net.Addr
}

// pipeConn is the net.PacketConn sipgo serves: reads come from the mux,
// writes go straight to the real socket.
type pipeConn struct {
	conn   *net.UDPConn
	ch     chan datagram
	once   sync.Once
	closed chan struct{}
}

func newPipeConn(conn *net.UDPConn) *pipeConn {
	return &pipeConn{conn: conn, ch: make(chan datagram, 1024), closed: make(chan struct{})}
}

// deliver queues a datagram for sipgo; when sipgo is this far behind the
// datagram is dropped (the sender retransmits).
func (p *pipeConn) deliver(data []byte, addr net.Addr) {
	select {
	case p.ch <- datagram{data: data, addr: addr}:
	case <-p.closed:
	default:
	}
}

func (p *pipeConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case d := <-p.ch:
		return copy(b, d.data), d.addr, nil
	case <-p.closed:
		return 0, nil, net.ErrClosed
	}
}

func (p *pipeConn) WriteTo(b []byte, addr net.Addr) (int, error) { return p.conn.WriteTo(b, addr) }

func (p *pipeConn) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

func (p *pipeConn) LocalAddr() net.Addr              { return p.conn.LocalAddr() }
func (p *pipeConn) SetDeadline(time.Time) error      { return nil }
func (p *pipeConn) SetReadDeadline(time.Time) error  { return nil }
func (p *pipeConn) SetWriteDeadline(time.Time) error { return nil }
