//go:build !(linux && (amd64 || arm64))

package sip

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchReadsGated is false here: reads always block, so every reader
// waits on the socket (see udpMux.read).
const batchReadsGated = false

// batchConn is the part of ipv4.PacketConn / ipv6.PacketConn used here
// (one datagram per call outside Linux).
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// udpBatcher is the portable batch reader/writer: x/net's ReadBatch and
// WriteBatch, which block.
type udpBatcher struct {
	bc   batchConn
	in   []ipv4.Message
	out  []ipv4.Message
	srcs []netip.AddrPort
}

func newUDPBatcher(conn *net.UDPConn) (*udpBatcher, error) {
	b := &udpBatcher{in: make([]ipv4.Message, udpBatch), out: make([]ipv4.Message, 0, udpBatch),
		srcs: make([]netip.AddrPort, udpBatch)}
	if ap := addrPortOf(conn.LocalAddr()); ap.Addr().Is4() {
		b.bc = ipv4.NewPacketConn(conn)
	} else {
		b.bc = ipv6.NewPacketConn(conn)
	}
	for i := range b.in {
		b.in[i].Buffers = [][]byte{make([]byte, maxUDPMessage+1)}
	}
	return b, nil
}

func (b *udpBatcher) read(bool) (n int, waited bool, err error) {
	n, err = b.bc.ReadBatch(b.in, 0)
	if err != nil {
		return 0, true, err
	}
	for i := range n {
		if ua, ok := b.in[i].Addr.(*net.UDPAddr); ok {
			b.srcs[i] = addrPortOf(ua)
		} else {
			b.srcs[i] = netip.AddrPort{}
		}
	}
	return n, true, nil
}

func (b *udpBatcher) datagram(i int) ([]byte, netip.AddrPort, bool) {
	m := &b.in[i]
	if m.N > maxUDPMessage || !b.srcs[i].IsValid() {
		return nil, netip.AddrPort{}, true
	}
	return m.Buffers[0][:m.N], b.srcs[i], false
}

func (b *udpBatcher) reply(i int, data []byte) {
	if len(b.out) < cap(b.out) {
		b.out = append(b.out, ipv4.Message{Buffers: [][]byte{data}, Addr: b.in[i].Addr})
	}
}

func (b *udpBatcher) flush() {
	for sent := 0; sent < len(b.out); {
		k, err := b.bc.WriteBatch(b.out[sent:], 0)
		if err != nil || k == 0 {
			break // a full send buffer drops replies; UDP clients retransmit
		}
		sent += k
	}
	clear(b.out)
	b.out = b.out[:0]
}
