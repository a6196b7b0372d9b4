//go:build linux && (amd64 || arm64)

package litemedia

import (
	"net"
	"net/netip"

	"github.com/webdial/webdial/internal/rawudp"
)

// batchReader reads datagrams in batches with recvmmsg: rawudp.Batch,
// issued from the socket's RawConn read callback on the non-blocking
// socket, so the goroutine waits in Go's poller and nothing allocates per
// datagram (the webrtc package's shared SIP socket reads the same way).
type batchReader struct{ b *rawudp.Batch }

func newBatchReader(conn *net.UDPConn) (*batchReader, error) {
	b, err := rawudp.NewBatch(conn, muxBatch, receiveMTU)
	if err != nil {
		return nil, err
	}
	return &batchReader{b}, nil
}

// read blocks until at least one datagram is queued and returns how many
// it read (at most muxBatch); other errnos than a closed socket (such as
// ECONNREFUSED from an ICMP error) are one-shot.
func (r *batchReader) read() (int, error) { return r.b.Read() }

// datagram returns the i-th datagram of the last read and its source; ok
// is false for a truncated datagram or an unknown address family.
func (r *batchReader) datagram(i int) ([]byte, netip.AddrPort, bool) { return r.b.Datagram(i) }
