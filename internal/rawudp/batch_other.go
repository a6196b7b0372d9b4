//go:build !(linux && (amd64 || arm64))

package rawudp

import (
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Batch is the portable batch reader: golang.org/x/net's ReadBatch, which
// reads one datagram per call outside Linux. One goroutine at a time may
// use it.
type Batch struct {
	read1 func(ms []ipv4.Message, flags int) (int, error)
	in    []ipv4.Message
	mtu   int
}

// NewBatch prepares reads of up to n datagrams of up to mtu bytes each.
func NewBatch(conn *net.UDPConn, n, mtu int) (*Batch, error) {
	b := &Batch{in: make([]ipv4.Message, n), mtu: mtu}
	if ua, ok := conn.LocalAddr().(*net.UDPAddr); ok && ua.IP.To4() != nil {
		b.read1 = ipv4.NewPacketConn(conn).ReadBatch
	} else {
		b.read1 = ipv6.NewPacketConn(conn).ReadBatch
	}
	for i := range b.in {
		b.in[i].Buffers = [][]byte{make([]byte, mtu)}
	}
	return b, nil
}

// Read blocks until at least one datagram is queued and returns how many
// it read. The datagrams stay valid until the next Read.
func (b *Batch) Read() (int, error) { return b.read1(b.in, 0) }

// Datagram returns the i-th datagram of the last Read and its source
// (IPv4-mapped addresses unmapped); ok is false for a truncated datagram
// or an unknown address type.
func (b *Batch) Datagram(i int) (pkt []byte, from netip.AddrPort, ok bool) {
	m := &b.in[i]
	ua, isUDP := m.Addr.(*net.UDPAddr)
	if !isUDP || m.N > b.mtu {
		return nil, netip.AddrPort{}, false
	}
	ap := ua.AddrPort()
	return m.Buffers[0][:m.N], netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}
