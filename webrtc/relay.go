package webrtc

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	pionwebrtc "github.com/pion/webrtc/v4"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

// relayMTU is the largest RTP packet relayed; G.711 at 20 ms is 172 bytes.
const relayMTU = 1500

// sipTarget is the SIP side's media as currently known. It is replaced
// whole (never mutated) so the two relay loops read it without a lock.
type sipTarget struct {
	remote  netip.AddrPort
	latched bool
	conn    *net.UDPConn // sends to remote: the call's own socket or the shared one
	shared  bool         // conn is the gateway's shared socket (Config.RTPShared)
	eventPT uint8        // SIP telephone-event PT, ptNone if refused
	toSIP   [128]uint8   // page PT -> SIP PT (ptNone: drop)
	toPage  [128]uint8   // SIP PT -> page PT (ptNone: drop)
}

// pageOut is the sender towards the page: pion's bound track writer, or
// the lite transport (which sets SSRC and sequence itself).
type pageOut struct {
	w    pionwebrtc.TrackLocalWriter
	ssrc uint32
	lite *litemedia.Transport // if set, w and ssrc are unused
}

// relay moves RTP between the page's media engine (SRTP, through pion or
// the lite transport) and the SIP leg's plain UDP socket. Each direction
// runs inline in one goroutine with one reused buffer: no channel between
// legs, no per-packet allocation on the relay's side.
type relay struct {
	conn *net.UDPConn // the call's own SIP-side RTP socket; nil while on the shared one
	rtcp *net.UDPConn // its RTCP: bound so it is absorbed, never read
	now  func() time.Time
	log  *slog.Logger

	// shared is the gateway's shared SIP-side socket (Config.RTPShared)
	// that the call's offer advertised, nil without RTPShared. The call
	// binds its own pair (fellBack) only if its SIP side's media address
	// is already registered there by another call.
	shared           *sipShared
	addr             netip.Addr // where a fallback pair is bound
	portMin, portMax uint16
	modeMu           sync.Mutex     // guards the fields below and starting the reader
	sharedAt         netip.AddrPort // the route registered on shared, if valid
	fellBack         bool
	closed           bool
	// rxMu serialises fromSIP between the shared socket's reader and the
	// call's own reader after a fallback (only one of them should be
	// live, but the switch is not synchronous with a batch in flight).
	rxMu sync.Mutex
	// latchAny latches onto any source address, not only the SDP's.
	latchAny bool

	target atomic.Pointer[sipTarget]
	out    atomic.Pointer[pageOut]

	// Negotiated with the page (set by Bind before any media).
	pageCodecPT, pageEventPT uint8
	sipCodecPT               uint8 // what we offered to SIP (0 or 8)

	// Towards SIP: page audio and generated DTMF share SSRC and sequence.
	sipMu     sync.Mutex
	sipSSRC   uint32
	sipSeq    uint16
	sipLastTS uint32
	sipLastAt time.Time
	sipSent   bool

	// Towards the page: only the sipToPage goroutine touches these.
	pageSeq    uint16 // pion engine only: the lite transport numbers its own
	inSSRC     uint32
	inStarted  bool
	tsOffset   uint32
	pageLastTS uint32
	pageLastAt time.Time

	// Generated DTMF towards SIP.
	dtmfMu       sync.Mutex
	dtmfQueue    []byte
	dtmfRunning  bool
	closing      bool
	trackStarted bool

	done chan struct{} // closed by close
	wg   sync.WaitGroup

	// Counters for tests and load figures.
	toSIP, toPage, dropped, dtmfSent atomic.Uint64
}

// newRelay binds an even RTP port and the RTCP port after it on addr, or
// with shared set uses that socket and binds nothing yet.
func newRelay(addr netip.Addr, portMin, portMax uint16, now func() time.Time, shared *sipShared) (*relay, error) {
	r := &relay{now: now, pageCodecPT: ptNone, pageEventPT: ptNone, sipCodecPT: ptPCMU, done: make(chan struct{}),
		shared: shared, addr: addr, portMin: portMin, portMax: portMax, log: slog.New(slog.DiscardHandler)}
	if shared == nil {
		var err error
		r.conn, r.rtcp, err = bindRTPPair(addr, portMin, portMax)
		if err != nil {
			return nil, err
		}
	}
	r.sipSSRC = randUint32()
	r.sipSeq = uint16(randUint32())
	return r, nil
}

// localPort is the RTP port the call's offer advertises.
func (r *relay) localPort() int {
	if r.shared != nil {
		return int(r.shared.port)
	}
	return r.conn.LocalAddr().(*net.UDPAddr).Port
}

// close stops both loops (the page loop ends when pion closes the
// track) and waits for the DTMF sender.
func (r *relay) close() {
	r.dtmfMu.Lock()
	if r.closing {
		r.dtmfMu.Unlock()
		return
	}
	r.closing = true
	close(r.done)
	r.dtmfMu.Unlock()
	r.modeMu.Lock()
	r.closed = true
	if r.shared != nil {
		if r.sharedAt.IsValid() {
			r.shared.unregister(r.sharedAt, r)
			r.sharedAt = netip.AddrPort{}
		}
		// Nothing more to SIP: the shared socket stays open.
		r.target.Store(noTarget())
	}
	if r.conn != nil {
		_ = r.conn.Close()
		_ = r.rtcp.Close()
	}
	r.modeMu.Unlock()
	r.wg.Wait()
}

// goTrack starts forwarding the page's track, unless the relay is closing.
func (r *relay) goTrack(track *pionwebrtc.TrackRemote) {
	r.dtmfMu.Lock()
	defer r.dtmfMu.Unlock()
	if r.closing || r.trackStarted {
		return
	}
	r.trackStarted = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.pageToSIP(track)
	}()
}

// start starts the SIP-side receive loop on the call's own socket; on
// the shared socket the gateway's reader does that.
func (r *relay) start() {
	if r.shared != nil {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.sipToPage(r.conn, false)
	}()
}

// setSIPMedia points the relay at the SIP side's stream (from 183 or 200
// SDP). Latching starts over when the address changes.
func (r *relay) setSIPMedia(m sipMedia) {
	t := &sipTarget{remote: m.Remote, eventPT: m.EventPT}
	for i := range t.toSIP {
		t.toSIP[i], t.toPage[i] = ptNone, ptNone
	}
	if r.pageCodecPT < 128 {
		t.toSIP[r.pageCodecPT] = m.CodecPT
		t.toPage[m.CodecPT] = r.pageCodecPT
	}
	if r.pageEventPT < 128 && m.EventPT < 128 {
		t.toSIP[r.pageEventPT] = m.EventPT
		t.toPage[m.EventPT] = r.pageEventPT
	}
	if r.shared != nil && r.setSharedMedia(t, m) {
		return
	}
	t.conn = r.conn
	if old := r.target.Load(); old != nil && old.remote == m.Remote {
		t.latched, t.remote = old.latched, old.remote
	}
	if m.Inactive {
		t.remote = netip.AddrPort{}
	}
	r.target.Store(t)
}

// rtpHeaderLen returns the length of the fixed header, CSRCs and
// extension of an RTP packet, or 0 if b is not RTP version 2.
func rtpHeaderLen(b []byte) int {
	if len(b) < 12 || b[0]>>6 != 2 {
		return 0
	}
	n := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 {
		if len(b) < n+4 {
			return 0
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	if n > len(b) {
		return 0
	}
	return n
}

// rtpPayloadEnd returns where the payload of pkt ends once RTP padding is
// removed, or -1 if the padding is impossible.
func rtpPayloadEnd(pkt []byte, hl int) int {
	n := len(pkt)
	if pkt[0]&0x20 != 0 {
		pad := int(pkt[n-1])
		if pad == 0 || n-pad < hl {
			return -1
		}
		n -= pad
	}
	return n
}

// pageToSIP forwards the page's RTP to the SIP side until the track ends.
func (r *relay) pageToSIP(track *pionwebrtc.TrackRemote) {
	buf := make([]byte, relayMTU)
	for {
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if errors.Is(r.fromPage(buf[:n]), net.ErrClosed) {
			return
		}
	}
}

// fromPage relays one RTP packet from the page to the SIP side, rewriting
// buf in place. It runs on the page engine's receive goroutine (pion's
// track reader, or the lite transport's socket reader); it returns the
// send error, net.ErrClosed once the relay is closed.
func (r *relay) fromPage(buf []byte) error { return r.fromPageVia(buf, nil) }

// fromPageVia is fromPage that, when the call is on the shared socket and
// batch is set, queues the packet on batch instead of sending it; the
// caller (the shared ICE-lite socket's reader) flushes after its batch.
func (r *relay) fromPageVia(buf []byte, batch *sipBatchOut) error {
	n := len(buf)
	t := r.target.Load()
	hl := rtpHeaderLen(buf)
	if t == nil || !t.remote.IsValid() || hl == 0 || t.toSIP[buf[1]&0x7f] == ptNone {
		r.dropped.Add(1)
		return nil
	}
	if n = rtpPayloadEnd(buf, hl); n < 0 {
		r.dropped.Add(1)
		return nil
	}
	pkt := buf[:n]
	if hl != 12 { // drop CSRCs and extensions: the SIP side negotiated none
		copy(buf[12:], buf[hl:n])
		pkt = buf[:n-hl+12]
	}
	pkt[0] = 0x80
	pkt[1] = pkt[1]&0x80 | t.toSIP[pkt[1]&0x7f]
	ts := binary.BigEndian.Uint32(pkt[4:])
	r.sipMu.Lock()
	binary.BigEndian.PutUint16(pkt[2:], r.sipSeq)
	binary.BigEndian.PutUint32(pkt[8:], r.sipSSRC)
	r.sipSeq++
	r.sipLastTS, r.sipLastAt, r.sipSent = ts, r.now(), true
	var err error
	if batch != nil && t.shared {
		if !batch.add(pkt, t.remote) {
			err = errUnsendable
		}
	} else {
		_, err = t.conn.WriteToUDPAddrPort(pkt, t.remote)
	}
	r.sipMu.Unlock()
	if err == nil {
		r.toSIP.Add(1)
	}
	return err
}

// sipToPage forwards the SIP side's RTP on conn, the call's own socket,
// to the page until the socket is closed; locked takes rxMu around each
// packet (after a fallback from the shared socket).
func (r *relay) sipToPage(conn *net.UDPConn, locked bool) {
	buf := make([]byte, relayMTU)
	var hdr rtp.Header
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if locked {
			r.rxMu.Lock()
			r.fromSIP(buf[:n], from, &hdr, nil, false)
			r.rxMu.Unlock()
		} else {
			r.fromSIP(buf[:n], from, &hdr, nil, false)
		}
	}
}

// fromSIP relays one packet from the SIP side to the page. It latches onto
// the first source that sends after the SIP SDP is known (symmetric RTP)
// and ignores every other source afterwards. Only one goroutine at a time
// calls it for a relay (the page-side sequence state is not locked). With
// page set, RTP for a page on the shared ICE-lite socket is queued there;
// the caller flushes. With pinned set (a contested address on the shared
// socket), a new SSRC is dropped once one is being received: it may be
// the other call's stream.
func (r *relay) fromSIP(buf []byte, from netip.AddrPort, hdr *rtp.Header, page *pageBatch, pinned bool) {
	n := len(buf)
	t := r.target.Load()
	hl := rtpHeaderLen(buf)
	if t == nil || hl == 0 || t.toPage[buf[1]&0x7f] == ptNone {
		r.dropped.Add(1)
		return
	}
	if n = rtpPayloadEnd(buf, hl); n < 0 {
		r.dropped.Add(1)
		return
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if !t.latched && !r.latchAny && from.Addr() != t.remote.Addr() {
		// Only the SDP's address may be latched (its port may differ,
		// as behind a NAT): a stranger racing the SIP side cannot take
		// the stream over.
		r.dropped.Add(1)
		return
	}
	if !t.latched {
		nt := *t
		nt.remote, nt.latched = from, true
		if r.target.CompareAndSwap(t, &nt) {
			t = &nt
		} else {
			t = r.target.Load()
		}
	}
	if from != t.remote {
		r.dropped.Add(1)
		return
	}
	out := r.out.Load()
	if out == nil {
		r.dropped.Add(1)
		return
	}
	ssrc := binary.BigEndian.Uint32(buf[8:])
	ts := binary.BigEndian.Uint32(buf[4:])
	now := r.now()
	if !r.inStarted || ssrc != r.inSSRC {
		if pinned && r.inStarted {
			r.dropped.Add(1)
			return
		}
		// A new SIP-side source (early media then answer, a
		// re-INVITE): keep the page's timeline continuous.
		if r.inStarted {
			elapsed := uint32(now.Sub(r.pageLastAt) / (time.Second / 8000))
			r.tsOffset = r.pageLastTS + max(elapsed, 160) - ts
		}
		r.inSSRC, r.inStarted = ssrc, true
	}
	ts += r.tsOffset
	pt := t.toPage[buf[1]&0x7f]
	r.pageLastTS, r.pageLastAt = ts, now
	if out.lite != nil {
		var err error
		if page != nil && out.lite.OnMux() {
			err = page.write(out.lite, bareRTP(buf[:n], hl, pt, ts))
		} else {
			err = r.writeLite(out.lite, buf[:n], hl, pt, ts)
		}
		if err == nil {
			r.toPage.Add(1)
		}
		return
	}
	*hdr = rtp.Header{
		Version:        2,
		Marker:         buf[1]&0x80 != 0,
		PayloadType:    pt,
		SequenceNumber: r.pageSeq,
		Timestamp:      ts,
		SSRC:           out.ssrc,
	}
	r.pageSeq++
	if _, err := out.w.WriteRTP(hdr, buf[hl:n]); err == nil {
		r.toPage.Add(1)
	}
}

// writeLite sends pkt (without padding) to the page through the lite
// transport.
func (r *relay) writeLite(lt *litemedia.Transport, pkt []byte, hl int, pt uint8, ts uint32) error {
	return lt.WriteRTP(bareRTP(pkt, hl, pt, ts))
}

// bareRTP rewrites pkt (without padding) in place to a 12-byte header
// with pt and ts, keeping the marker and payload, and returns it. The lite
// transport replaces SSRC and sequence with its own (an SRTP index must
// never repeat), so those are left as they are.
func bareRTP(pkt []byte, hl int, pt uint8, ts uint32) []byte {
	if hl != 12 {
		copy(pkt[12:], pkt[hl:])
		pkt = pkt[:len(pkt)-hl+12]
	}
	pkt[0] = 0x80
	pkt[1] = pkt[1]&0x80 | pt
	binary.BigEndian.PutUint32(pkt[4:], ts)
	return pkt
}
