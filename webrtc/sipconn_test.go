package webrtc

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestRelayConnectedSocketFollowsMediaChange checks the kernel-connected
// SIP socket: it connects to the latched source, sends through the
// connection, and a media change to another address (a re-INVITE)
// disconnects it so the new source can be latched; without the disconnect
// the kernel would drop every packet from the new source.
func TestRelayConnectedSocketFollowsMediaChange(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	r, err := newRelay(lo, 0, 0, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	r.pageCodecPT, r.pageEventPT = 0, 126
	w := &fakePageWriter{}
	r.out.Store(&pageOut{w: w, ssrc: 0xCAFE})
	r.start()
	defer r.close()
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(lo, uint16(r.localPort())))
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	sideA, sideB := listen(), listen()
	addrA, addrB := sideA.LocalAddr().(*net.UDPAddr).AddrPort(), sideB.LocalAddr().(*net.UDPAddr).AddrPort()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	connectedTo := func() netip.AddrPort {
		if p := r.sip.peer.Load(); p != nil {
			return *p
		}
		return netip.AddrPort{}
	}
	// expectFrom sends pkt from the relay's socket towards remote and
	// checks that side receives exactly it.
	expectAt := func(side *net.UDPConn, remote netip.AddrPort, payload string) {
		t.Helper()
		pkt := rtpPacket(0, 1, 2, 3, []byte(payload))
		if err := r.sip.send(r.conn, pkt, remote); err != nil {
			t.Fatal(err)
		}
		_ = side.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1500)
		n, from, err := side.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatal(err)
		}
		if string(buf[:n]) != string(pkt) || from.Port() != uint16(r.localPort()) {
			t.Fatalf("got %q from %v", buf[:n], from)
		}
	}

	r.setSIPMedia(sipMedia{Remote: addrA, CodecPT: 0, EventPT: 101})
	_, _ = sideA.WriteToUDP(rtpPacket(0, 1, 160, 0xA, []byte("a1")), to)
	waitFor(t, ctx, "first packet from A", func() bool { return w.n() == 1 })
	if runtime.GOOS == "linux" && connectedTo() != addrA {
		t.Fatalf("connected to %v after latching %v", connectedTo(), addrA)
	}
	expectAt(sideA, addrA, "to A, connected")

	// A re-INVITE moves the SIP side's media to B.
	r.setSIPMedia(sipMedia{Remote: addrB, CodecPT: 0, EventPT: 101})
	if connectedTo().IsValid() {
		t.Fatalf("still connected to %v after the media moved", connectedTo())
	}
	expectAt(sideB, addrB, "to B, before latching")
	_, _ = sideB.WriteToUDP(rtpPacket(0, 1, 160, 0xB, []byte("b1")), to)
	waitFor(t, ctx, "first packet from B", func() bool { return w.n() == 2 })
	if runtime.GOOS == "linux" && connectedTo() != addrB {
		t.Fatalf("connected to %v after latching %v", connectedTo(), addrB)
	}
	expectAt(sideB, addrB, "to B, connected")
	// A is no longer the source: its packets never reach the page.
	_, _ = sideA.WriteToUDP(rtpPacket(0, 2, 320, 0xA, []byte("a2")), to)
	_, _ = sideB.WriteToUDP(rtpPacket(0, 2, 320, 0xB, []byte("b2")), to)
	waitFor(t, ctx, "second packet from B", func() bool { return w.n() >= 3 })
	w.mu.Lock()
	got := []string{string(w.pays[0]), string(w.pays[1]), string(w.pays[2])}
	w.mu.Unlock()
	if got[0] != "a1" || got[1] != "b1" || got[2] != "b2" {
		t.Fatalf("relayed %q", got)
	}

	// Inactive media disconnects too.
	r.setSIPMedia(sipMedia{Remote: addrB, CodecPT: 0, EventPT: 101, Inactive: true})
	if connectedTo().IsValid() {
		t.Fatalf("connected to %v with inactive media", connectedTo())
	}
}

// TestSIPPeerConnectRace races latching (connect) against media changes
// (disconnect): afterwards the socket is connected only if the current
// target is latched onto that very peer.
func TestSIPPeerConnectRace(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	r, err := newRelay(lo, 0, 0, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	a := netip.AddrPortFrom(lo, 40000)
	b := netip.AddrPortFrom(lo, 40002)
	for i := 0; i < 200; i++ {
		r.setSIPMedia(sipMedia{Remote: a, CodecPT: 0, EventPT: ptNone})
		lt := *r.target.Load()
		lt.latched = true
		r.target.Store(&lt)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); r.sip.connect(r.conn, r, a) }()
		go func() { defer wg.Done(); r.setSIPMedia(sipMedia{Remote: b, CodecPT: 0, EventPT: ptNone}) }()
		wg.Wait()
		if p := r.sip.peer.Load(); p != nil {
			t.Fatalf("round %d: connected to %v although the target moved to %v", i, *p, b)
		}
	}
}
