//go:build !(linux && (amd64 || arm64))

package litemedia

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchReader is the portable batch reader: x/net's ReadBatch, which
// reads one datagram per call outside Linux.
type batchReader struct {
	read1 func(ms []ipv4.Message, flags int) (int, error)
	in    []ipv4.Message
}

func newBatchReader(conn *net.UDPConn) (*batchReader, error) {
	b := &batchReader{in: make([]ipv4.Message, muxBatch)}
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() != nil {
		b.read1 = ipv4.NewPacketConn(conn).ReadBatch
	} else {
		b.read1 = ipv6.NewPacketConn(conn).ReadBatch
	}
	for i := range b.in {
		b.in[i].Buffers = [][]byte{make([]byte, receiveMTU)}
	}
	return b, nil
}

func (b *batchReader) read() (int, error) { return b.read1(b.in, 0) }

func (b *batchReader) datagram(i int) ([]byte, netip.AddrPort, bool) {
	m := &b.in[i]
	ua, ok := m.Addr.(*net.UDPAddr)
	if !ok || m.N > receiveMTU {
		return nil, netip.AddrPort{}, false
	}
	ap := ua.AddrPort()
	return m.Buffers[0][:m.N], netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}
