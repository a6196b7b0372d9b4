package leanpage

import (
	"net"
	"net/netip"
	"time"

	"github.com/pion/transport/v5/packetio"
)

// dtlsPipe is the net.PacketConn pion/dtls runs on: the reader goroutine
// writes DTLS records into in, and DTLS writes its records straight to
// the socket, to the gateway's candidate. DTLS carries only the handshake
// and SCTP, so the extra copy is off the media path.
type dtlsPipe struct {
	in     *packetio.Buffer
	send   func([]byte, netip.AddrPort) (int, error)
	local  net.Addr
	remote netip.AddrPort
}

// pipeAddr is the only remote address DTLS ever sees.
type pipeAddr struct{}

func (pipeAddr) Network() string { return "udp" }
func (pipeAddr) String() string  { return "gateway" }

// maxDTLSBuffered bounds what the gateway can make the page hold while
// DTLS is slow to read.
const maxDTLSBuffered = 64 << 10

func newDTLSPipe(send func([]byte, netip.AddrPort) (int, error), local, remote netip.AddrPort) *dtlsPipe {
	in := packetio.NewBuffer()
	in.SetLimitSize(maxDTLSBuffered)
	return &dtlsPipe{in: in, send: send, local: net.UDPAddrFromAddrPort(local), remote: remote}
}

func (p *dtlsPipe) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, err := p.in.Read(b, nil)
	return n, pipeAddr{}, err
}

func (p *dtlsPipe) WriteTo(b []byte, _ net.Addr) (int, error) {
	return p.send(b, p.remote)
}

// Close stops DTLS's reads; the socket belongs to the Client.
func (p *dtlsPipe) Close() error                       { return p.in.Close() }
func (p *dtlsPipe) LocalAddr() net.Addr                { return p.local }
func (p *dtlsPipe) SetDeadline(t time.Time) error      { return p.in.SetReadDeadline(t) }
func (p *dtlsPipe) SetReadDeadline(t time.Time) error  { return p.in.SetReadDeadline(t) }
func (p *dtlsPipe) SetWriteDeadline(_ time.Time) error { return nil }
