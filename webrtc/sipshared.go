package webrtc

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"

	"github.com/webdial/webdial/internal/rawudp"
)

// sipSharedBatch is how many datagrams one read of the shared SIP-side
// socket takes at most, and how many a batch towards SIP holds.
const sipSharedBatch = 32

// sipSharedReadBuffer is the shared socket's SO_RCVBUF: it holds every
// call's inbound RTP while the one reader is not running (the kernel's
// default, ~208 KiB, is a few hundred datagrams: 10 ms at 500 calls).
const sipSharedReadBuffer = 4 << 20

// sipShared is the gateway's one SIP-side RTP socket (Config.RTPShared)
// and the RTCP socket on the port after it (bound so RTCP is absorbed,
// never read, as on a call's own pair). Every call's offer advertises it;
// one goroutine reads it in batches and hands each datagram to the call
// registered for its exact source address and port, the media address of
// that call's SIP SDP. Nothing latches: an unknown source is dropped.
type sipShared struct {
	conn *net.UDPConn
	rtcp *net.UDPConn
	port uint16
	log  *slog.Logger

	mu     sync.RWMutex // held for reading while a batch is dispatched
	routes map[netip.AddrPort]sharedRoute
	closed bool

	// Counters for tests: datagrams from no registered address, and
	// registrations refused because the address was taken.
	unknown, collisions atomic.Uint64
	wg                  sync.WaitGroup
}

// newSIPShared binds the shared pair on addr: port (even) and port+1, or
// an even pair chosen by the OS if port is zero; start starts the reader.
func newSIPShared(addr netip.Addr, port uint16, log *slog.Logger) (*sipShared, error) {
	hi := port
	if port != 0 {
		hi = port + 1
	}
	conn, rtcp, err := bindRTPPair(addr, port, hi)
	if err != nil {
		return nil, fmt.Errorf("%w: RTPShared: %w", ErrConfig, err)
	}
	_ = conn.SetReadBuffer(sipSharedReadBuffer) // best effort: smaller only risks loss under load
	return &sipShared{conn: conn, rtcp: rtcp, log: log, routes: map[netip.AddrPort]sharedRoute{},
		port: uint16(conn.LocalAddr().(*net.UDPAddr).Port)}, nil
}

// start starts the reader. With page set, RTP towards pages on the shared
// ICE-lite socket is queued there and sent after each batch.
func (s *sipShared) start(page *pageBatch) error {
	rd, err := rawudp.NewBatch(s.conn, sipSharedBatch, relayMTU)
	if err != nil {
		return fmt.Errorf("%w: RTPShared: %w", ErrConfig, err)
	}
	s.wg.Add(1)
	go s.readLoop(rd, page)
	return nil
}

// sharedRoute is the call a source address belongs to on the shared
// socket.
type sharedRoute struct {
	r *relay
	// contested: another call's SIP side named the same address. Its
	// stream would arrive here from that address if the peer does not
	// follow it to its own socket, so the owner then keeps only the SSRC
	// it already receives (see relay.fromSIP).
	contested bool
}

// register routes datagrams from remote to r; false if another call holds
// remote (its stream could not be told apart from r's; the holder's route
// becomes contested) or the socket is closed.
func (s *sipShared) register(remote netip.AddrPort, r *relay) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if rt, ok := s.routes[remote]; ok && rt.r != r {
		s.collisions.Add(1)
		rt.contested = true
		s.routes[remote] = rt
		return false
	}
	s.routes[remote] = sharedRoute{r: r}
	return true
}

// unregister removes r's route for remote. When it returns, the reader
// no longer hands r anything (it dispatches under the read lock).
func (s *sipShared) unregister(remote netip.AddrPort, r *relay) {
	s.mu.Lock()
	if s.routes[remote].r == r {
		delete(s.routes, remote)
	}
	s.mu.Unlock()
}

// close closes both sockets and waits for the reader. The gateway calls it
// once no call uses the socket.
func (s *sipShared) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	_ = s.conn.Close()
	_ = s.rtcp.Close()
	s.wg.Wait()
}

func (s *sipShared) readLoop(rd *rawudp.Batch, page *pageBatch) {
	defer s.wg.Done()
	var hdr rtp.Header
	for {
		n, err := rd.Read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // one-shot errors such as ICMP port unreachable
		}
		s.mu.RLock()
		for i := range n {
			pkt, from, ok := rd.Datagram(i)
			var rt sharedRoute
			if ok {
				rt = s.routes[from]
			}
			if rt.r == nil {
				s.unknown.Add(1)
				continue
			}
			rt.r.rxMu.Lock()
			rt.r.fromSIP(pkt, from, &hdr, page, rt.contested)
			rt.r.rxMu.Unlock()
		}
		s.mu.RUnlock()
		if page != nil {
			page.flush()
		}
	}
}

// openSIPShared binds the shared SIP-side socket (Config.RTPShared) and,
// when the shared ICE-lite socket's reader will fill it, the batch towards
// SIP.
func (g *Gateway) openSIPShared() error {
	s, err := newSIPShared(g.cfg.RTPAddr, g.cfg.RTPSharedPort, g.cfg.Logger)
	if err != nil {
		return err
	}
	if g.cfg.ICELite && g.cfg.ICELiteShared {
		if g.sipBatch, err = newSIPBatchOut(s.conn); err != nil {
			s.close()
			return fmt.Errorf("%w: RTPShared: %w", ErrConfig, err)
		}
	}
	g.sipShared = s
	return nil
}

// startSIPShared starts the shared SIP-side socket's reader, if any, once
// the shared ICE-lite socket (whose batches it fills) exists.
func (g *Gateway) startSIPShared() error {
	if g.sipShared == nil {
		return nil
	}
	var page *pageBatch
	if g.liteMux != nil {
		var err error
		if page, err = newPageBatch(g.liteMux.UDPConn()); err != nil {
			return fmt.Errorf("%w: RTPShared: %w", ErrConfig, err)
		}
	}
	return g.sipShared.start(page)
}

// closeSIPShared closes the shared SIP-side socket, if any, once no call
// uses it (and after the shared ICE-lite socket: see pageBatch).
func (g *Gateway) closeSIPShared() {
	if g.sipShared != nil {
		g.sipShared.close()
	}
}
