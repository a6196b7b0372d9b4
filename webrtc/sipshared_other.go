//go:build !(linux && (amd64 || arm64))

package webrtc

import (
	"net"
	"net/netip"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// sipReader reads the shared SIP-side socket one datagram at a time
// outside Linux.
type sipReader struct {
	conn *net.UDPConn
	buf  []byte
	n    int
	from netip.AddrPort
}

func newSIPReader(conn *net.UDPConn) (*sipReader, error) {
	return &sipReader{conn: conn, buf: make([]byte, relayMTU)}, nil
}

func (r *sipReader) read() (int, error) {
	n, from, err := r.conn.ReadFromUDPAddrPort(r.buf)
	if err != nil {
		return 0, err
	}
	r.n, r.from = n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	return 1, nil
}

func (r *sipReader) datagram(int) ([]byte, netip.AddrPort, bool) { return r.buf[:r.n], r.from, true }

// sipBatchOut sends at once outside Linux: there is no sendmmsg.
type sipBatchOut struct{ conn *net.UDPConn }

func newSIPBatchOut(conn *net.UDPConn) (*sipBatchOut, error) { return &sipBatchOut{conn}, nil }

func (o *sipBatchOut) add(pkt []byte, to netip.AddrPort) bool {
	_, err := o.conn.WriteToUDPAddrPort(pkt, to)
	return err == nil
}

func (o *sipBatchOut) flush() {}

// pageBatch sends at once outside Linux.
type pageBatch struct{}

func newPageBatch(*net.UDPConn) (*pageBatch, error) { return &pageBatch{}, nil }

func (p *pageBatch) write(lt *litemedia.Transport, pkt []byte) error { return lt.WriteRTP(pkt) }

func (p *pageBatch) flush() {}
