package litemedia

import (
	"net"
	"time"

	"github.com/pion/transport/v5/packetio"
)

// DTLSPipe is the net.PacketConn pion/dtls runs on when one socket reader
// sorts STUN, DTLS and SRTP itself: the reader hands DTLS records to
// Deliver, and DTLS writes its records through write, straight to the
// socket. DTLS is only the handshake (and later SCTP), so the extra copy
// into the buffer is off the media path. The gateway's transports use it,
// and so does the test page client leanpage.
type DTLSPipe struct {
	in    *packetio.Buffer
	write func([]byte) (int, error)
	local net.Addr
}

// peerAddr is the only remote address DTLS ever sees: where records go
// is write's business (the gateway's is whatever ICE latched, which may
// change under it).
type peerAddr struct{}

func (peerAddr) Network() string { return "udp" }
func (peerAddr) String() string  { return "ice-peer" }

// maxDTLSBuffered bounds what an authenticated but misbehaving peer can
// make the reader hold while DTLS is slow to read.
const maxDTLSBuffered = 64 << 10

// NewDTLSPipe returns a pipe whose records leave through write and whose
// LocalAddr is local.
func NewDTLSPipe(write func([]byte) (int, error), local net.Addr) *DTLSPipe {
	in := packetio.NewBuffer()
	in.SetLimitSize(maxDTLSBuffered)
	return &DTLSPipe{in: in, write: write, local: local}
}

// Deliver queues one received DTLS record for DTLS to read. When the
// buffer is full the record is dropped; DTLS retransmits.
func (p *DTLSPipe) Deliver(record []byte) { _, _ = p.in.Write(record, nil) }

func (p *DTLSPipe) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, err := p.in.Read(b, nil)
	return n, peerAddr{}, err
}

// RemoteAddr is the peer address to give dtls.Client or dtls.Server:
// ReadFrom reports it for every record.
func (p *DTLSPipe) RemoteAddr() net.Addr { return peerAddr{} }

func (p *DTLSPipe) WriteTo(b []byte, _ net.Addr) (int, error) { return p.write(b) }

// Close stops DTLS's reads; the socket belongs to the pipe's owner.
func (p *DTLSPipe) Close() error                       { return p.in.Close() }
func (p *DTLSPipe) LocalAddr() net.Addr                { return p.local }
func (p *DTLSPipe) SetDeadline(t time.Time) error      { return p.in.SetReadDeadline(t) }
func (p *DTLSPipe) SetReadDeadline(t time.Time) error  { return p.in.SetReadDeadline(t) }
func (p *DTLSPipe) SetWriteDeadline(_ time.Time) error { return nil }
