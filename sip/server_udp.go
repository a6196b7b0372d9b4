package sip

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// udpBatch is how many datagrams one recvmmsg/sendmmsg moves at most.
const udpBatch = 32

// batchConn is the part of ipv4.PacketConn / ipv6.PacketConn used here
// (recvmmsg and sendmmsg on Linux, one datagram per call elsewhere).
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// udpMux owns the server's UDP socket. Its readers take datagrams in
// batches, answer everything outside admitted calls statelessly (replies
// go out in batches too) and hand only the rest to sipgo, which reads them
// from pipe as if it were the socket. sipgo therefore never sees — nor
// keeps per-source state for (sipgo issue #150) — REGISTER, OPTIONS,
// rejected INVITEs or garbage, and syscalls per message drop well below
// sipgo's one recvfrom and one sendto per message.
type udpMux struct {
	st   *state
	conn *net.UDPConn
	bc   batchConn
	pipe *pipeConn
}

func newUDPMux(st *state, conn *net.UDPConn) *udpMux {
	m := &udpMux{st: st, conn: conn, pipe: newPipeConn(conn)}
	if ap := addrPortOf(conn.LocalAddr()); ap.Addr().Is4() {
		m.bc = ipv4.NewPacketConn(conn)
	} else {
		m.bc = ipv6.NewPacketConn(conn)
	}
	return m
}

// read is one reader goroutine; it returns when the socket is closed.
func (m *udpMux) read() error {
	in := make([]ipv4.Message, udpBatch)
	for i := range in {
		in[i].Buffers = [][]byte{make([]byte, maxUDPMessage+1)}
	}
	out := make([]ipv4.Message, 0, udpBatch)
	bufs := make([]*bytes.Buffer, 0, udpBatch)
	failures := 0
	for {
		n, err := m.bc.ReadBatch(in, 0)
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
		for i := range n {
			msg := &in[i]
			ua, ok := msg.Addr.(*net.UDPAddr)
			if !ok || msg.N > maxUDPMessage {
				continue // truncated: larger than any request we accept
			}
			src := addrPortOf(ua)
			data := msg.Buffers[0][:msg.N]
			register := bytes.HasPrefix(data, []byte("REGISTER "))
			var key uint64
			if register {
				key = m.st.replies.key(src, data)
				if reply := m.st.replies.get(key); reply != nil && m.st.guard.allow(src.Addr()) {
					out = append(out, ipv4.Message{Buffers: [][]byte{reply}, Addr: ua})
					continue
				}
			}
			res, pass := m.handle(data, src)
			if pass {
				m.pipe.deliver(append([]byte(nil), data...), ua)
				continue
			}
			if res == nil {
				continue
			}
			buf := bufPool.Get().(*bytes.Buffer)
			buf.Reset()
			res.StringWrite(buf)
			if register && res.StatusCode == 200 {
				m.st.replies.put(key, buf.Bytes())
			}
			bufs = append(bufs, buf)
			out = append(out, ipv4.Message{Buffers: [][]byte{buf.Bytes()}, Addr: ua})
		}
		for sent := 0; sent < len(out); {
			k, err := m.bc.WriteBatch(out[sent:], 0)
			if err != nil || k == 0 {
				break // a full send buffer drops replies; UDP clients retransmit
			}
			sent += k
		}
		for i, b := range bufs {
			bufPool.Put(b)
			bufs[i] = nil
		}
		bufs, out = bufs[:0], out[:0]
	}
}

// handle applies the source limits and the stateless filter to one
// datagram.
func (m *udpMux) handle(data []byte, src netip.AddrPort) (*sipgosip.Response, bool) {
	st := m.st
	if !st.guard.allow(src.Addr()) {
		return nil, false
	}
	return st.filterUDP(data, src)
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
