package webrtc

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestSharedRelayCollision drives two relays on one shared socket whose
// SIP sides name the same media address, on real sockets: the first keeps
// the address (and only the SSRC it receives), the second falls back to
// its own pair, hears its stream there and sends from it; its stream sent
// to the shared port instead never reaches the first call.
func TestSharedRelayCollision(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	sh, err := newSIPShared(lo, 0, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := sh.start(nil); err != nil {
		t.Fatal(err)
	}
	defer sh.close()
	mk := func() (*relay, *fakePageWriter) {
		r, err := newRelay(lo, 0, 0, time.Now, sh)
		if err != nil {
			t.Fatal(err)
		}
		r.pageCodecPT = 0
		w := &fakePageWriter{}
		r.out.Store(&pageOut{w: w, ssrc: 1})
		r.start()
		return r, w
	}
	a, wa := mk()
	defer a.close()
	b, wb := mk()
	defer b.close()
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	media := sipMedia{Remote: peer.LocalAddr().(*net.UDPAddr).AddrPort(), CodecPT: 0, EventPT: ptNone}
	a.setSIPMedia(media)
	b.setSIPMedia(media)
	if reg, fell := sharedState(a); !reg || fell {
		t.Fatalf("first call: registered %v, fell back %v", reg, fell)
	}
	if reg, fell := sharedState(b); reg || !fell || sh.collisions.Load() != 1 {
		t.Fatalf("second call: registered %v, fell back %v, collisions %d", reg, fell, sh.collisions.Load())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shared := netip.AddrPortFrom(lo, sh.port)
	send := func(pkt []byte, to netip.AddrPort) {
		t.Helper()
		if _, err := peer.WriteToUDPAddrPort(pkt, to); err != nil {
			t.Fatal(err)
		}
	}
	send(rtpPacket(0, 1, 160, 0xA, []byte("a1")), shared)
	waitFor(t, ctx, "first call's packet", func() bool { return wa.n() == 1 })
	send(rtpPacket(0, 1, 160, 0xB, []byte("b1")), shared) // the second call's stream, on the shared port
	waitFor(t, ctx, "other SSRC dropped", func() bool { return a.dropped.Load() == 1 })
	send(rtpPacket(0, 2, 320, 0xA, []byte("a2")), shared)
	waitFor(t, ctx, "first call's second packet", func() bool { return wa.n() == 2 })
	own := b.conn.LocalAddr().(*net.UDPAddr).AddrPort()
	send(rtpPacket(0, 2, 320, 0xB, []byte("b2")), own)
	waitFor(t, ctx, "second call's packet on its own socket", func() bool { return wb.n() == 1 })
	wa.mu.Lock()
	if string(wa.pays[0]) != "a1" || string(wa.pays[1]) != "a2" {
		t.Fatalf("first call's page got %q", wa.pays)
	}
	wa.mu.Unlock()
	wb.mu.Lock()
	if string(wb.pays[0]) != "b2" {
		t.Fatalf("second call's page got %q", wb.pays)
	}
	wb.mu.Unlock()

	// Towards SIP: each call sends from the socket the peer hears it on.
	if err := a.fromPage(rtpPacket(0, 7, 160, 5, []byte("to sip a"))); err != nil {
		t.Fatal(err)
	}
	if err := b.fromPage(rtpPacket(0, 7, 160, 5, []byte("to sip b"))); err != nil {
		t.Fatal(err)
	}
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	want := map[string]netip.AddrPort{"to sip a": shared, "to sip b": own}
	buf := make([]byte, 1500)
	for range 2 {
		n, from, err := peer.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		p := string(buf[12:n])
		if w, ok := want[p]; !ok || w != from {
			t.Fatalf("%q from %v, want from %v", p, from, w)
		}
		delete(want, p)
	}
	if sh.unknown.Load() != 0 {
		t.Fatalf("%d unknown", sh.unknown.Load())
	}
}
