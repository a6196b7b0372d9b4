//go:build !(linux && (amd64 || arm64))

package webrtc

import (
	"net"
	"net/netip"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

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
