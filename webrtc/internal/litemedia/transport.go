package litemedia

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/rtp"
	"github.com/pion/sctp"
	"github.com/pion/srtp/v3"
)

// receiveMTU is the largest datagram read; browsers keep RTP and DTLS
// records well under the path MTU.
const receiveMTU = 1500

// Transport is one call's media transport. Create it with New, send the
// Answer to the page, then call Connect.
type Transport struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	conn   *net.UDPConn // the call's own socket, or the Mux's
	mux    *Mux         // nil: conn is the call's own
	local  netip.AddrPort
	ufrag  string
	offer  offer
	answer string
	ssrc   uint32

	// rxMu is held by the reader while it handles a datagram for this
	// call; Close sets detached under it, so that with a shared socket no
	// datagram reaches the call (nor OnRTP runs) after Close returns.
	rxMu     sync.Mutex
	detached bool

	ice       *iceLite // reader goroutine only
	icePwd    string   // our ICE password (tests sign checks with it)
	remote    atomic.Pointer[netip.AddrPort]
	latched   chan struct{} // closed at the first valid check
	lastCheck atomic.Int64  // unix ns of the last valid check from the latched address

	pipe     *DTLSPipe
	mu       sync.Mutex // guards dtlsConn against Close during Connect
	dtlsConn *dtls.Conn
	badCert  atomic.Bool // VerifyPeerCertificate refused the page

	rx    atomic.Pointer[srtp.Context] // set once by Connect, used by the reader
	rxBuf []byte                       // reader goroutine only
	rxHdr rtp.Header                   // reader goroutine only

	txMu    sync.Mutex
	tx      *srtp.Context
	txPlain []byte
	txBuf   []byte
	txHdr   rtp.Header
	txSeq   uint16 // last sequence number sent

	// SCTP for the data channel: runSCTP sets assoc (under mu) or
	// sctpErr, then closes sctpReady.
	assoc     *sctp.Association
	sctpErr   error
	sctpReady chan struct{}

	packetsIn, packetsOut, dropped, rtcpIn atomic.Uint64

	life context.Context // canceled by Close; bounds the SCTP setup
	stop context.CancelFunc

	closeOnce sync.Once
	closed    chan struct{}
	wg        sync.WaitGroup
}

// New parses the page's offer, binds the call's UDP socket, builds the
// answer and starts the reader goroutine. It does not block.
func New(offerSDP string, cfg Config) (*Transport, error) {
	o, err := parseOffer(offerSDP)
	if err != nil {
		return nil, err
	}
	if cfg.Certificate == nil {
		if cfg.Certificate, err = GenerateCertificate(); err != nil {
			return nil, err
		}
	}
	t := &Transport{
		cfg: cfg, log: cfg.Logger, now: cfg.Now, offer: o, mux: cfg.Mux,
		latched: make(chan struct{}), closed: make(chan struct{}), sctpReady: make(chan struct{}),
		rxBuf: make([]byte, receiveMTU), txBuf: make([]byte, receiveMTU),
	}
	if t.mux != nil {
		t.conn, t.local = t.mux.conn, t.mux.local
	} else {
		addr := cfg.Addr
		if !addr.IsValid() {
			addr = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
		if err != nil {
			return nil, fmt.Errorf("litemedia: listen: %w", err)
		}
		t.conn = conn
		t.local = netip.AddrPortFrom(addr, conn.LocalAddr().(*net.UDPAddr).AddrPort().Port())
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.life, t.stop = context.WithCancel(context.Background())
	ufrag, pwd, ssrc := randomString(16), randomString(32), randomUint32()
	t.ssrc, t.txSeq = ssrc, uint16(randomUint32()) // RFC 3550 §5.1: random initial sequence number
	t.answer, err = buildAnswer(o, local{
		ufrag: ufrag, pwd: pwd, fingerprint: cfg.Certificate.Fingerprint(), addr: t.local, ssrc: ssrc,
	})
	if err == nil {
		t.ice, t.icePwd, t.ufrag = newICELite(ufrag, o.ufrag, pwd), pwd, ufrag
		t.pipe = NewDTLSPipe(t.writeDTLS, t.conn.LocalAddr())
		if t.mux != nil {
			err = t.mux.register(ufrag, t) // the last step: from here the reader may call in
		}
	}
	if err != nil {
		if t.mux == nil {
			_ = t.conn.Close()
		}
		t.stop()
		return nil, err
	}
	if t.mux == nil {
		t.wg.Add(1)
		go t.readLoop()
	}
	return t, nil
}

// Answer is the SDP answer for the page.
func (t *Transport) Answer() string { return t.answer }

// LocalAddr is the call's socket address (the advertised host candidate).
func (t *Transport) LocalAddr() netip.AddrPort { return t.local }

// Remote is the page's latched address; ok is false before the first
// valid connectivity check.
func (t *Transport) Remote() (addr netip.AddrPort, ok bool) {
	if p := t.remote.Load(); p != nil {
		return *p, true
	}
	return netip.AddrPort{}, false
}

// LastConsent is the time of the last valid connectivity check from the
// latched address (zero before the first). The page sends one at least
// every few seconds (RFC 7675 consent freshness); an owner that sees none
// for ~30 s should treat the page as gone and Close.
func (t *Transport) LastConsent() time.Time {
	ns := t.lastCheck.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Stats returns the packet counters.
func (t *Transport) Stats() Stats {
	return Stats{
		PacketsIn: t.packetsIn.Load(), PacketsOut: t.packetsOut.Load(),
		Dropped: t.dropped.Load(), RTCPIn: t.rtcpIn.Load(),
	}
}

// readLoop is the call's only receive path: every datagram is classified
// by its first byte (RFC 7983) and handled on this goroutine, except DTLS
// records, which go to the DTLS server's own goroutines.
func (t *Transport) readLoop() {
	defer t.wg.Done()
	buf := make([]byte, receiveMTU)
	for {
		n, from, err := t.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if n > 0 {
			t.onDatagram(buf[:n], from)
		}
	}
}

// onDatagram handles one datagram on the reader goroutine (the call's, or
// the Mux's, which has already routed it here).
func (t *Transport) onDatagram(pkt []byte, from netip.AddrPort) {
	switch b := pkt[0]; {
	case b < 4:
		t.onSTUN(pkt, from)
	case b >= 20 && b <= 63:
		if t.isRemote(from) {
			t.pipe.Deliver(pkt)
		}
	case b >= 128 && b <= 191:
		if t.isRemote(from) {
			t.onSRTP(pkt)
		}
	}
}

func (t *Transport) isRemote(from netip.AddrPort) bool {
	p := t.remote.Load()
	return p != nil && *p == from
}

// onSTUN answers a valid check and latches the page's address: at the
// first valid check, and again only when an authenticated check nominates
// another address (USE-CANDIDATE), e.g. after the page's network changed.
// Unauthenticated packets never move the latch.
func (t *Transport) onSTUN(pkt []byte, from netip.AddrPort) {
	ok, nominated := t.ice.check(pkt, from)
	if !ok {
		return
	}
	// State first, then the response: whoever sees the response sees the
	// latch it caused.
	cur := t.remote.Load()
	switch {
	case cur == nil:
		if !t.claim(nil, from) {
			return
		}
		t.remote.Store(&from)
		close(t.latched)
		t.log.Debug("litemedia: latched", "remote", from)
		t.lastCheck.Store(t.now().UnixNano())
	case *cur == from:
		t.lastCheck.Store(t.now().UnixNano())
	case nominated:
		if !t.claim(cur, from) {
			return
		}
		t.remote.Store(&from)
		t.log.Debug("litemedia: re-latched", "remote", from)
		t.lastCheck.Store(t.now().UnixNano())
	default:
		// A check on a pair we do not use: answered (the page may be
		// probing it), but it is no consent for the latched pair.
	}
	_, _ = t.conn.WriteToUDPAddrPort(t.ice.resp.Raw, from)
}

// claim routes from to this call on a shared socket; false (no latch, no
// answer) when another call has latched from.
func (t *Transport) claim(old *netip.AddrPort, from netip.AddrPort) bool {
	return t.mux == nil || t.mux.latch(t, old, from)
}

// onSRTP decrypts inline and hands the packet to OnRTP. RTCP (RFC 5761
// payload types 192-223 with rtcp-mux) is counted and dropped: the relay
// has no use for it.
func (t *Transport) onSRTP(pkt []byte) {
	if len(pkt) >= 2 && pkt[1] >= 192 && pkt[1] <= 223 {
		t.rtcpIn.Add(1)
		return
	}
	rx := t.rx.Load()
	if rx == nil {
		return // before the handshake finished
	}
	out, err := rx.DecryptRTP(t.rxBuf, pkt, &t.rxHdr)
	if err != nil {
		t.dropped.Add(1)
		return
	}
	t.packetsIn.Add(1)
	if t.cfg.OnRTP != nil {
		t.cfg.OnRTP(out)
	}
}

// WriteRTP encrypts one RTP packet (header and payload) and sends it to
// the page. The transport's SSRC (the one in the answer) and its own
// sequence number replace pkt's; pkt itself is not modified. Safe for
// concurrent use.
//
// The sequence number is the transport's because it is half of the SRTP
// packet index, and an index must never be encrypted twice under one key
// (with AES-GCM a repeated nonce gives away the authentication key). The
// SIP side's numbers repeat when its source restarts, re-INVITEs or
// retransmits, so they cannot be trusted for that.
func (t *Transport) WriteRTP(pkt []byte) error {
	t.txMu.Lock()
	defer t.txMu.Unlock()
	out, to, err := t.seal(t.txBuf, pkt)
	if err != nil {
		return err
	}
	t.txBuf = out[:cap(out)]
	if _, err := t.conn.WriteToUDPAddrPort(out, to); err != nil {
		return fmt.Errorf("litemedia: send: %w", err)
	}
	t.packetsOut.Add(1)
	return nil
}

// SealRTP is WriteRTP without the send: it encrypts pkt as WriteRTP
// would into dst (reused if its capacity is enough) and returns the SRTP
// packet and the page's address, for the caller to send on the socket the
// transport uses (Mux.UDPConn with a shared socket), e.g. in a sendmmsg
// batch. Packets must leave in the order they were sealed. It counts the
// packet as sent.
func (t *Transport) SealRTP(dst, pkt []byte) ([]byte, netip.AddrPort, error) {
	t.txMu.Lock()
	defer t.txMu.Unlock()
	out, to, err := t.seal(dst, pkt)
	if err == nil {
		t.packetsOut.Add(1)
	}
	return out, to, err
}

// seal encrypts pkt into dst under txMu.
func (t *Transport) seal(dst, pkt []byte) ([]byte, netip.AddrPort, error) {
	if len(pkt) < 12 || pkt[0]>>6 != 2 {
		return nil, netip.AddrPort{}, ErrBadPacket
	}
	select {
	case <-t.closed:
		return nil, netip.AddrPort{}, ErrClosed
	default:
	}
	if t.tx == nil {
		return nil, netip.AddrPort{}, ErrNotConnected
	}
	to, ok := t.Remote()
	if !ok {
		return nil, netip.AddrPort{}, ErrNotConnected
	}
	t.txPlain = append(t.txPlain[:0], pkt...)
	t.txSeq++
	binary.BigEndian.PutUint16(t.txPlain[2:], t.txSeq)
	binary.BigEndian.PutUint32(t.txPlain[8:], t.ssrc)
	out, err := t.tx.EncryptRTP(dst, t.txPlain, &t.txHdr)
	if err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("litemedia: encrypt: %w", err)
	}
	return out, to, nil
}

// OnMux reports whether the transport uses a shared socket (Config.Mux).
func (t *Transport) OnMux() bool { return t.mux != nil }

// Close stops the transport: DTLS close_notify to the page (if connected),
// the socket closed, every goroutine ended before it returns. With a
// shared socket, the call's routes are removed and the socket stays open;
// no datagram reaches the call after Close returns.
func (t *Transport) Close() error {
	var err error
	t.closeOnce.Do(func() {
		t.txMu.Lock()
		close(t.closed)
		t.txMu.Unlock()
		t.stop()
		t.mu.Lock()
		d, a := t.dtlsConn, t.assoc
		t.mu.Unlock()
		if a != nil {
			_ = a.Close() // ends Accept and the association's loops
		}
		if d != nil {
			_ = d.Close() // also closes the pipe
		}
		_ = t.pipe.Close()
		if t.mux != nil {
			t.rxMu.Lock()
			t.detached = true
			t.rxMu.Unlock()
			t.mux.remove(t.ufrag, t)
		} else {
			err = t.conn.Close()
		}
		t.wg.Wait()
	})
	return err
}

// drainDTLS reads the DTLS connection after the handshake when there is
// no data channel: pion/dtls blocks its record loop when application data
// is not read, so whatever a misbehaving page sends is discarded.
func (t *Transport) drainDTLS(d *dtls.Conn) {
	defer t.wg.Done()
	buf := make([]byte, 1<<16)
	for {
		if _, err := d.Read(buf); err != nil {
			if !errors.Is(err, io.EOF) {
				t.log.Debug("litemedia: dtls read", "err", err)
			}
			return
		}
	}
}

func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[b[i]%64]
	}
	return string(b)
}

func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}

// writeDTLS sends a DTLS record to the latched page address, or drops it
// while nothing is latched (DTLS retransmits).
func (t *Transport) writeDTLS(b []byte) (int, error) {
	to, ok := t.Remote()
	if !ok {
		return len(b), nil
	}
	return t.conn.WriteToUDPAddrPort(b, to)
}
