package webrtc

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

// forEachRTPSharedEngine runs test per page-side engine with
// Config.RTPShared: pion, lite with a socket per call (direct sends
// towards SIP) and liteshared (sendmmsg batches towards SIP).
func forEachRTPSharedEngine(t *testing.T, test func(t *testing.T, e engine)) {
	for _, e := range []engine{{name: "pion", sip: true}, {name: "lite", lite: true, sip: true},
		{name: "liteshared", lite: true, shared: true, sip: true}} {
		t.Run(e.name, func(t *testing.T) { test(t, e) })
	}
}

// liveRelays returns the relays of the gateway's calls.
func liveRelays(g *Gateway) []*relay {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*relay
	for _, c := range g.calls {
		out = append(out, c.relay)
	}
	return out
}

// sharedState reports whether r is on the shared socket (registered,
// no own socket).
func sharedState(r *relay) (registered, fellBack bool) {
	r.modeMu.Lock()
	defer r.modeMu.Unlock()
	return r.sharedAt.IsValid(), r.fellBack
}

// exchange sends packets payloads from every page, interleaved (page p's
// i-th is payloadOf(len(pages)*i+p)), waits for all echoes and checks
// each page got exactly its own.
func exchange(t *testing.T, ctx context.Context, pages []*pageclient.Client, got []echoCollector, packets int) {
	t.Helper()
	n := len(pages)
	for i := 0; i < packets; i++ {
		for p, c := range pages {
			if err := c.WriteAudio(payloadOf(n*i + p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, ctx, "echoed packets", func() bool {
		for p := range pages {
			if got[p].count() < packets {
				return false
			}
		}
		return true
	})
	for p := range pages {
		if c := got[p].count(); c != packets {
			t.Fatalf("page %d received %d packets, sent %d", p, c, packets)
		}
		for i := 0; i < packets; i++ {
			if !got[p].has(payloadOf(n*i + p)) {
				t.Fatalf("page %d: its packet %d missing (another call's audio instead?)", p, i)
			}
		}
	}
}

func dialPages(t *testing.T, ctx context.Context, b *bed, got []echoCollector) []*pageclient.Client {
	t.Helper()
	pages := make([]*pageclient.Client, len(got))
	for i := range pages {
		c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), OnRTP: got[i].onRTP})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.WaitState(ctx, "answered"); err != nil {
			t.Fatal(err)
		}
		pages[i] = c
	}
	return pages
}

// TestRTPSharedCallsApart runs several calls at once through the shared
// SIP-side socket against a SIP side with a media port per call: every
// call is registered there (none fell back), and each page gets back
// exactly its own audio.
func TestRTPSharedCallsApart(t *testing.T) { forEachRTPSharedEngine(t, testRTPSharedCallsApart) }

func testRTPSharedCallsApart(t *testing.T, e engine) {
	var observed atomic.Int64 // the load test times the page-to-SIP leg with Observe
	echo := startEcho(t, sipecho.Options{EpollMedia: true, Observe: func([]byte) { observed.Add(1) }})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const calls, packets = 4, 30
	got := make([]echoCollector, calls)
	pages := dialPages(t, ctx, b, got)
	sh := b.gw.sipShared
	for _, r := range liveRelays(b.gw) {
		if reg, fell := sharedState(r); !reg || fell || r.localPort() != int(sh.port) {
			t.Fatalf("relay registered %v, fell back %v, port %d (shared %d)", reg, fell, r.localPort(), sh.port)
		}
	}
	exchange(t, ctx, pages, got, packets)
	for _, sc := range echo.Calls() {
		if n := sc.Echoed.Load(); n != packets {
			t.Fatalf("sip call %s echoed %d, want %d", sc.ID, n, packets)
		}
	}
	if n := observed.Load(); n != calls*packets {
		t.Fatalf("echo observed %d packets, want %d", n, calls*packets)
	}
	if u, c := sh.unknown.Load(), sh.collisions.Load(); u != 0 || c != 0 {
		t.Fatalf("unknown %d, collisions %d", u, c)
	}
	if s := b.gw.Stats(); s.PacketsToSIP != calls*packets || s.PacketsToPage != calls*packets {
		t.Fatalf("stats %+v", s)
	}
	for _, c := range pages {
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "calls ended", func() bool { return b.gw.Stats().ActiveCalls == 0 })
	sh.mu.RLock()
	routes := len(sh.routes)
	sh.mu.RUnlock()
	if routes != 0 {
		t.Fatalf("%d routes left on the shared socket", routes)
	}
}

// TestRTPSharedCollisionFallback answers two calls with one SIP media
// address (sipecho.SharedMedia echoes to the source): the second call
// cannot be told apart on the shared socket, so it binds its own pair;
// the echo answers it there, and each page still gets only its own audio.
func TestRTPSharedCollisionFallback(t *testing.T) {
	forEachRTPSharedEngine(t, testRTPSharedCollisionFallback)
}

func testRTPSharedCollisionFallback(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{SharedMedia: true})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make([]echoCollector, 2)
	pages := dialPages(t, ctx, b, got)
	var own *relay
	registered := 0
	for _, r := range liveRelays(b.gw) {
		reg, fell := sharedState(r)
		switch {
		case reg && !fell:
			registered++
		case !reg && fell:
			own = r
		default:
			t.Fatalf("relay registered %v, fell back %v", reg, fell)
		}
	}
	if registered != 1 || own == nil || b.gw.sipShared.collisions.Load() != 1 {
		t.Fatalf("registered %d, fell back %v, collisions %d", registered, own != nil, b.gw.sipShared.collisions.Load())
	}
	exchange(t, ctx, pages, got, 30)
	for _, c := range pages {
		if err := c.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "calls ended", func() bool { return b.gw.Stats().ActiveCalls == 0 })
	// The fallback pair is closed with the call (its reader ended: close
	// waited for it before the call was removed).
	if _, err := own.conn.WriteToUDPAddrPort([]byte{0}, netip.MustParseAddrPort("127.0.0.1:9")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("fallback socket still open: %v", err)
	}
	if _, err := own.rtcp.WriteToUDPAddrPort([]byte{0}, netip.MustParseAddrPort("127.0.0.1:9")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("fallback rtcp socket still open: %v", err)
	}
}

// TestRTPSharedDropsUnknownSource sends RTP to the shared socket from a
// source no call registered (same IP as the SIP side, another port: a
// per-call socket would latch it before the SIP side spoke): it is
// dropped and never reaches the page.
func TestRTPSharedDropsUnknownSource(t *testing.T) {
	forEachRTPSharedEngine(t, testRTPSharedDropsUnknownSource)
}

func testRTPSharedDropsUnknownSource(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make([]echoCollector, 1)
	pages := dialPages(t, ctx, b, got)
	exchange(t, ctx, pages, got, 5) // the call is live both ways

	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	sh := b.gw.sipShared
	to := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), sh.port)
	const strays = 5
	for i := 0; i < strays; i++ {
		pkt := append([]byte{0x80, 0, 0, byte(i), 0, 0, 0, 0, 1, 2, 3, 4}, payloadOf(9000)...)
		if _, err := stranger.WriteToUDPAddrPort(pkt, to); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "strays counted", func() bool { return sh.unknown.Load() == strays })
	// A packet of the call after the strays: once its echo is back, the
	// strays would have been relayed before it.
	if err := pages[0].WriteAudio(payloadOf(9001)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "echo after strays", func() bool { return got[0].has(payloadOf(9001)) })
	if got[0].has(payloadOf(9000)) || got[0].count() != 6 {
		t.Fatalf("page received a stray packet (%d packets)", got[0].count())
	}
	if s := b.gw.Stats(); s.PacketsToPage != 6 {
		t.Fatalf("stats %+v", s)
	}
}

// TestRTPSharedCloseReleasesPort checks that Gateway.Close closes the
// shared pair (both ports can be bound again) once the calls ended.
func TestRTPSharedCloseReleasesPort(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), engine{lite: true, shared: true, sip: true}.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make([]echoCollector, 1)
	exchange(t, ctx, dialPages(t, ctx, b, got), got, 3)
	port := b.gw.sipShared.port
	if err := b.gw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	c1, c2, err := bindRTPPair(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port, port+1)
	if err != nil {
		t.Fatalf("shared pair %d still bound: %v", port, err)
	}
	_ = c1.Close()
	_ = c2.Close()
}

// TestRTPSharedPortConfig checks RTPSharedPort: refused when odd, the
// last port, without RTPShared or taken; bound and advertised otherwise.
func TestRTPSharedPortConfig(t *testing.T) {
	b := newBed(t, "127.0.0.1:9", nil)
	base := b.gw.cfg
	lo := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	taken, takenRTCP, err := bindRTPPair(lo, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	defer takenRTCP.Close()
	takenPort := uint16(taken.LocalAddr().(*net.UDPAddr).Port)
	bad := map[string]func(*Config){
		"odd":            func(c *Config) { c.RTPShared, c.RTPSharedPort = true, 40001 },
		"last":           func(c *Config) { c.RTPShared, c.RTPSharedPort = true, 65535 },
		"without shared": func(c *Config) { c.RTPSharedPort = 40000 },
		"taken":          func(c *Config) { c.RTPShared, c.RTPSharedPort = true, takenPort },
	}
	for name, mutate := range bad {
		cfg := base
		mutate(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	// A free even pair, released for the gateway to take.
	c1, c2, err := bindRTPPair(lo, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(c1.LocalAddr().(*net.UDPAddr).Port)
	_ = c1.Close()
	_ = c2.Close()
	cfg := base
	cfg.RTPShared, cfg.RTPSharedPort = true, port
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(t.Context())
	rl, err := newRelay(lo, 0, 0, time.Now, g.sipShared)
	if err != nil {
		t.Fatal(err)
	}
	defer rl.close()
	if g.sipShared.port != port || rl.localPort() != int(port) {
		t.Fatalf("shared port %d, advertised %d, want %d", g.sipShared.port, rl.localPort(), port)
	}
}
