package webrtc

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// fakePageWriter records what the relay writes towards the page.
type fakePageWriter struct {
	mu   sync.Mutex
	hdrs []rtp.Header
	pays [][]byte
}

func (f *fakePageWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hdrs = append(f.hdrs, *h)
	f.pays = append(f.pays, append([]byte(nil), payload...))
	return len(payload), nil
}

func (f *fakePageWriter) Write(b []byte) (int, error) { return len(b), nil }

func (f *fakePageWriter) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.hdrs)
}

func rtpPacket(pt uint8, seq uint16, ts, ssrc uint32, payload []byte) []byte {
	b := make([]byte, 12, 12+len(payload))
	b[0], b[1] = 0x80, pt
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[4:], ts)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	return append(b, payload...)
}

// TestRelaySIPToPage checks, on real UDP sockets, the SIP-to-page half of
// the relay: symmetric latching, payload type mapping, SSRC and sequence
// rewriting, CSRC/extension/padding removal, and a continuous timeline when
// the SIP side changes source (early media, then the answer).
func TestRelaySIPToPage(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	now := time.Unix(1000, 0)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	r, err := newRelay(lo, 0, 0, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.pageCodecPT, r.pageEventPT = 0, 126
	w := &fakePageWriter{}
	r.out.Store(&pageOut{w: w, ssrc: 0xCAFE})
	r.start()
	defer r.close()

	sipSide, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer sipSide.Close()
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, uint16(r.localPort())))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Before the SIP SDP is known, nothing is relayed or latched.
	_, _ = stranger.WriteToUDP(rtpPacket(0, 1, 100, 7, []byte("early")), to)
	waitFor(t, ctx, "drop before SDP", func() bool { return r.dropped.Load() == 1 })

	r.setSIPMedia(sipMedia{Remote: sipSide.LocalAddr().(*net.UDPAddr).AddrPort(), CodecPT: 0, EventPT: 101})
	if other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}); err == nil {
		_, _ = other.WriteToUDP(rtpPacket(0, 3, 300, 8, []byte("other ip")), to)
		waitFor(t, ctx, "other IP dropped", func() bool { return r.dropped.Load() == 2 })
		other.Close()
	}
	// The first source after the SDP is latched (here the SIP side).
	_, _ = sipSide.WriteToUDP(rtpPacket(0, 500, 8000, 0x1111, []byte("aaaa")), to)
	waitFor(t, ctx, "first packet", func() bool { return w.n() == 1 })
	// A source with another IP is never latched; after latching,
	// another port of the same IP is ignored too.
	_, _ = stranger.WriteToUDP(rtpPacket(0, 2, 200, 7, []byte("inject")), to)
	// CSRC + extension + padding are stripped; telephone-event 101 maps to 126.
	withExt := rtpPacket(101, 501, 8000, 0x1111, nil)
	withExt[0] = 0x80 | 0x20 | 0x10 | 1                     // padding, extension, one CSRC
	withExt = append(withExt, 0, 0, 0, 9)                   // CSRC
	withExt = append(withExt, 0xbe, 0xde, 0, 1, 1, 2, 3, 4) // one-word extension
	withExt = append(withExt, 5, 0x8a, 0, 160)              // event payload
	withExt = append(withExt, 0, 0, 3)                      // 3 bytes of padding
	_, _ = sipSide.WriteToUDP(withExt, to)
	waitFor(t, ctx, "event packet", func() bool { return w.n() == 2 })
	// Unknown payload types are dropped.
	_, _ = sipSide.WriteToUDP(rtpPacket(13, 502, 8160, 0x1111, []byte("cn")), to)
	// The answer comes from a new SSRC with an unrelated timestamp.
	clockMu.Lock()
	now = now.Add(100 * time.Millisecond)
	clockMu.Unlock()
	_, _ = sipSide.WriteToUDP(rtpPacket(0, 9, 123456, 0x2222, []byte("bbbb")), to)
	waitFor(t, ctx, "answer packet", func() bool { return w.n() == 3 })

	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.hdrs
	for i, x := range h {
		if x.SSRC != 0xCAFE || x.Version != 2 || len(x.CSRC) != 0 || x.Extension {
			t.Fatalf("packet %d header %+v", i, x)
		}
		if i > 0 && x.SequenceNumber != h[i-1].SequenceNumber+1 {
			t.Fatalf("sequence not continuous: %d after %d", x.SequenceNumber, h[i-1].SequenceNumber)
		}
	}
	if string(w.pays[0]) != "aaaa" || h[0].PayloadType != 0 {
		t.Fatalf("first %+v %q", h[0], w.pays[0])
	}
	if h[1].PayloadType != 126 || string(w.pays[1]) != string([]byte{5, 0x8a, 0, 160}) {
		t.Fatalf("event %+v %v", h[1], w.pays[1])
	}
	if string(w.pays[2]) != "bbbb" || h[2].Timestamp != h[0].Timestamp+800 {
		t.Fatalf("after source change: ts %d, want %d (100 ms later)", h[2].Timestamp, h[0].Timestamp+800)
	}
}

// TestBareRTPMatchesPionHeader: what the relay hands the lite transport
// is, SSRC and sequence aside (the transport sets its own), the packet the
// pion engine's header write produces for the same SIP-side input.
func TestBareRTPMatchesPionHeader(t *testing.T) {
	plain := rtpPacket(0, 500, 8000, 0x1111, []byte("aaaa"))
	withExt := rtpPacket(101, 501, 8000, 0x1111, nil)
	withExt[0] = 0x80 | 0x10 | 1 // extension, one CSRC (padding is cut before)
	withExt[1] |= 0x80           // marker
	withExt = append(withExt, 0, 0, 0, 9, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 5, 0x8a, 0, 160)
	for _, in := range [][]byte{plain, withExt} {
		hl := rtpHeaderLen(in)
		h := rtp.Header{Version: 2, Marker: in[1]&0x80 != 0, PayloadType: 126, SequenceNumber: 7, Timestamp: 42, SSRC: 0xCAFE}
		want, err := h.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, in[hl:]...)
		got := bareRTP(append([]byte(nil), in...), hl, 126, 42)
		binary.BigEndian.PutUint16(got[2:], 7)
		binary.BigEndian.PutUint32(got[8:], 0xCAFE)
		if string(got) != string(want) {
			t.Fatalf("bare % x\npion % x", got, want)
		}
	}
}
