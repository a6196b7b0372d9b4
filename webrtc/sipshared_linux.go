//go:build linux && (amd64 || arm64)

package webrtc

import (
	"net"
	"net/netip"

	"github.com/webdial/webdial/internal/rawudp"
	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// sipBatchOut queues RTP towards SIP on the shared socket and sends the
// queue with sendmmsg when flushed. One goroutine at a time uses it: the
// shared ICE-lite socket's reader, which flushes after each batch.
type sipBatchOut struct{ s *rawudp.Sender }

func newSIPBatchOut(conn *net.UDPConn) (*sipBatchOut, error) {
	s, err := rawudp.NewSender(conn, sipSharedBatch, relayMTU)
	if err != nil {
		return nil, err
	}
	return &sipBatchOut{s}, nil
}

// add queues a copy of pkt for to; false if it cannot be sent.
func (o *sipBatchOut) add(pkt []byte, to netip.AddrPort) bool { return o.s.Add(pkt, to) }

// flush sends what add queued.
func (o *sipBatchOut) flush() { _ = o.s.Flush() }

// pageBatch queues SRTP towards pages on the shared ICE-lite socket and
// sends the queue with sendmmsg when flushed. Only the shared SIP-side
// socket's reader uses it, flushing after each of its batches.
type pageBatch struct {
	s       *rawudp.Sender
	scratch []byte
}

func newPageBatch(conn *net.UDPConn) (*pageBatch, error) {
	s, err := rawudp.NewSender(conn, sipSharedBatch, relayMTU+64) // + SRTP tag
	if err != nil {
		return nil, err
	}
	return &pageBatch{s: s, scratch: make([]byte, 0, relayMTU+64)}, nil
}

// write seals pkt for lt and queues it.
func (p *pageBatch) write(lt *litemedia.Transport, pkt []byte) error {
	out, to, err := lt.SealRTP(p.scratch, pkt)
	if err != nil {
		return err
	}
	p.scratch = out[:0]
	if !p.s.Add(out, to) {
		return errUnsendable
	}
	return nil
}

// flush sends what write queued.
func (p *pageBatch) flush() { _ = p.s.Flush() }
