package litemedia

import (
	"net"
	"net/netip"
	"time"

	"github.com/pion/transport/v5/packetio"
)

// dtlsPipe is the net.PacketConn the pion/dtls server runs on: the
// transport's reader goroutine writes DTLS records into in, and the server
// writes its records straight to the call's socket, to the latched page
// address. DTLS is only the handshake (and later SCTP), so the extra copy
// into in is off the media path.
type dtlsPipe struct {
	in     *packetio.Buffer
	conn   *net.UDPConn
	remote func() (netip.AddrPort, bool)
}

// latchedAddr is the only remote address the DTLS server ever sees: the
// page's address is whatever ICE latched, which may change under it.
type latchedAddr struct{}

func (latchedAddr) Network() string { return "udp" }
func (latchedAddr) String() string  { return "ice-latched" }

// maxDTLSBuffered bounds what an authenticated but misbehaving page can
// make the transport hold while the DTLS server is slow to read.
const maxDTLSBuffered = 64 << 10

func newDTLSPipe(conn *net.UDPConn, remote func() (netip.AddrPort, bool)) *dtlsPipe {
	in := packetio.NewBuffer()
	in.SetLimitSize(maxDTLSBuffered)
	return &dtlsPipe{in: in, conn: conn, remote: remote}
}

func (p *dtlsPipe) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, err := p.in.Read(b, nil)
	return n, latchedAddr{}, err
}

// WriteTo drops records while nothing is latched; DTLS retransmits them.
func (p *dtlsPipe) WriteTo(b []byte, _ net.Addr) (int, error) {
	to, ok := p.remote()
	if !ok {
		return len(b), nil
	}
	return p.conn.WriteToUDPAddrPort(b, to)
}

// Close stops the DTLS server's reads; the socket belongs to the transport.
func (p *dtlsPipe) Close() error                       { return p.in.Close() }
func (p *dtlsPipe) LocalAddr() net.Addr                { return p.conn.LocalAddr() }
func (p *dtlsPipe) SetDeadline(t time.Time) error      { return p.in.SetReadDeadline(t) }
func (p *dtlsPipe) SetReadDeadline(t time.Time) error  { return p.in.SetReadDeadline(t) }
func (p *dtlsPipe) SetWriteDeadline(_ time.Time) error { return nil }
