package litemedia

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/stun/v4"

	"github.com/webdial/webdial/internal/rawudp"
)

// muxBatch is how many datagrams one recvmmsg reads at most.
const muxBatch = 32

// MuxConfig configures a shared socket. The zero value binds 127.0.0.1
// on a port chosen by the system.
type MuxConfig struct {
	// Addr is the local address the socket binds to and every call using
	// it advertises as its host candidate. Zero address: 127.0.0.1; zero
	// port: one chosen by the system.
	Addr netip.AddrPort
	// ReadBuffer is the socket's receive buffer in bytes (SO_RCVBUF). It
	// holds every call's inbound packets while the one reader is not
	// running: with the kernel's default (~208 KiB, a few hundred
	// datagrams) 500 calls overflow it within ~10 ms of scheduling delay.
	// Zero: 4 MiB. The kernel caps it at net.core.rmem_max.
	ReadBuffer int
	// Logger gets debug messages. Nil: nothing is logged.
	Logger *slog.Logger
	// AfterBatch, if set, runs on the reader goroutine after the calls'
	// OnRTP saw every datagram of one read (up to muxBatch of them), so
	// that what they queued can leave in one batch. Nil: nothing runs.
	AfterBatch func()
}

// defaultMuxReadBuffer is MuxConfig.ReadBuffer's zero value.
const defaultMuxReadBuffer = 4 << 20

// MuxStats are the shared socket's own counters.
type MuxStats struct {
	// Unknown counts datagrams dropped because no call claims them: STUN
	// for a ufrag no call has, DTLS or SRTP from an address no call
	// latched, anything that is not STUN, DTLS or RTP.
	Unknown uint64
	// Refused counts authenticated checks refused because another call
	// has latched their source address.
	Refused uint64
}

// Mux is one UDP socket shared by every call that is given it in
// Config.Mux: one ICE-lite host candidate for all of them, read by one
// goroutine in batches (recvmmsg on Linux).
//
// Datagrams are routed as RFC 7983 classifies them: a STUN Binding
// request by the local ufrag in its USERNAME (the part before the colon),
// then authenticated by that call with its own password as in the
// per-call mode; DTLS and SRTP by source address only, to the call that
// latched that address with an authenticated check. An address latched by
// one call is never handed to another while the first holds it. SRTP is
// decrypted and handed to the call's OnRTP inline on the reader
// goroutine, so one slow OnRTP delays every call on the socket.
type Mux struct {
	conn  *net.UDPConn
	local netip.AddrPort
	after func() // MuxConfig.AfterBatch
	log   *slog.Logger
	batch *rawudp.Batch
	req   stun.Message // reader goroutine only

	mu      sync.RWMutex
	byUfrag map[string]*Transport
	byAddr  map[netip.AddrPort]*Transport
	closed  bool

	unknown, refused atomic.Uint64
	wg               sync.WaitGroup
}

// NewMux binds the shared socket and starts its reader goroutine.
func NewMux(cfg MuxConfig) (*Mux, error) {
	addr := cfg.Addr
	if !addr.Addr().IsValid() {
		addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), addr.Port())
	}
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, fmt.Errorf("litemedia: listen: %w", err)
	}
	rb := cfg.ReadBuffer
	if rb <= 0 {
		rb = defaultMuxReadBuffer
	}
	_ = conn.SetReadBuffer(rb) // best effort: a smaller buffer only risks loss under load
	b, err := rawudp.NewBatch(conn, muxBatch, receiveMTU)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("litemedia: listen: %w", err)
	}
	m := &Mux{
		conn: conn, log: cfg.Logger, batch: b, after: cfg.AfterBatch,
		local:   netip.AddrPortFrom(addr.Addr(), conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()),
		byUfrag: map[string]*Transport{}, byAddr: map[netip.AddrPort]*Transport{},
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.wg.Add(1)
	go m.readLoop()
	return m, nil
}

// UDPConn is the shared socket, for sending what Transport.SealRTP
// sealed (in batches); only the Mux reads it.
func (m *Mux) UDPConn() *net.UDPConn { return m.conn }

// LocalAddr is the shared socket's address, every call's host candidate.
func (m *Mux) LocalAddr() netip.AddrPort { return m.local }

// Stats returns the shared socket's counters.
func (m *Mux) Stats() MuxStats {
	return MuxStats{Unknown: m.unknown.Load(), Refused: m.refused.Load()}
}

// Close closes every call still using the socket, then the socket, and
// returns when the reader goroutine has ended.
func (m *Mux) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	calls := make([]*Transport, 0, len(m.byUfrag))
	for _, t := range m.byUfrag {
		calls = append(calls, t)
	}
	m.mu.Unlock()
	for _, t := range calls {
		_ = t.Close()
	}
	err := m.conn.Close()
	m.wg.Wait()
	return err
}

// register makes t reachable by its local ufrag.
func (m *Mux) register(ufrag string, t *Transport) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if _, dup := m.byUfrag[ufrag]; dup {
		return errors.New("litemedia: ufrag collision") // 96 random bits: never in practice
	}
	m.byUfrag[ufrag] = t
	return nil
}

// remove forgets every route to t. The caller has detached t first, so
// the reader can no longer latch a new address for it.
func (m *Mux) remove(ufrag string, t *Transport) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byUfrag[ufrag] == t {
		delete(m.byUfrag, ufrag)
	}
	if p := t.remote.Load(); p != nil && m.byAddr[*p] == t {
		delete(m.byAddr, *p)
	}
}

// latch routes from to t, replacing t's previous address old (nil at the
// first latch). It refuses an address another call holds: that call's
// page is there, and only its own credentials could move it.
func (m *Mux) latch(t *Transport, old *netip.AddrPort, from netip.AddrPort) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if owner, ok := m.byAddr[from]; ok && owner != t {
		m.refused.Add(1)
		return false
	}
	if old != nil && m.byAddr[*old] == t {
		delete(m.byAddr, *old)
	}
	m.byAddr[from] = t
	return true
}

func (m *Mux) readLoop() {
	defer m.wg.Done()
	for {
		n, err := m.batch.Read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // one-shot errors such as ICMP port unreachable
		}
		for i := range n {
			pkt, from, ok := m.batch.Datagram(i)
			if !ok || len(pkt) == 0 {
				m.unknown.Add(1)
				continue
			}
			m.dispatch(pkt, from)
		}
		if m.after != nil {
			m.after()
		}
	}
}

// dispatch routes one datagram (RFC 7983 first-byte ranges).
func (m *Mux) dispatch(pkt []byte, from netip.AddrPort) {
	var t *Transport
	b := pkt[0]
	switch {
	case b < 4:
		ufrag := m.localUfrag(pkt)
		if ufrag == nil {
			m.unknown.Add(1)
			return
		}
		m.mu.RLock()
		t = m.byUfrag[string(ufrag)] // no allocation: map index by converted []byte
		m.mu.RUnlock()
	case b >= 20 && b <= 63, b >= 128 && b <= 191:
		m.mu.RLock()
		t = m.byAddr[from]
		m.mu.RUnlock()
	}
	if t == nil {
		m.unknown.Add(1)
		return
	}
	t.rxMu.Lock()
	if !t.detached {
		t.onDatagram(pkt, from)
	}
	t.rxMu.Unlock()
}

// localUfrag returns our ufrag from a STUN Binding request's USERNAME
// ("ourufrag:theirufrag"), or nil. Nothing is authenticated yet: the call
// the ufrag names checks the request with its own password.
func (m *Mux) localUfrag(pkt []byte) []byte {
	m.req.Raw = append(m.req.Raw[:0], pkt...)
	if m.req.Decode() != nil || m.req.Type != stun.BindingRequest {
		return nil
	}
	user, err := m.req.Get(stun.AttrUsername)
	if err != nil {
		return nil
	}
	i := bytes.IndexByte(user, ':')
	if i <= 0 {
		return nil
	}
	return user[:i]
}
