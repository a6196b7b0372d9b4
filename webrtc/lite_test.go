package webrtc

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

func TestLivenessObserve(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	l := liveness{alive: t0, packets: 7}
	steps := []struct {
		now         int
		packets     uint64
		consent     int // ms; -1: none yet
		wantSilent  time.Duration
		description string
	}{
		{1000, 7, -1, time.Second, "nothing since the start"},
		{2000, 9, -1, 0, "RTP arrived"},
		{4500, 9, -1, 2500 * time.Millisecond, "RTP stopped"},
		{5000, 9, 4800, 200 * time.Millisecond, "a consent check"},
		{6000, 9, 1000, 1200 * time.Millisecond, "an older consent time does not go back"},
		{9000, 9, 4800, 4200 * time.Millisecond, "silent"},
	}
	for _, s := range steps {
		consent := time.Time{}
		if s.consent >= 0 {
			consent = at(s.consent)
		}
		if got := l.observe(at(s.now), s.packets, consent); got != s.wantSilent {
			t.Fatalf("%s: silent %v, want %v", s.description, got, s.wantSilent)
		}
	}
}

// TestICELiteConfig: what the lite engine cannot do is refused at New.
func TestICELiteConfig(t *testing.T) {
	b := newBed(t, "127.0.0.1:9", nil)
	base := b.gw.cfg
	base.ICELite = true
	bad := map[string]func(*Config){
		"two host IPs":        func(c *Config) { c.ICEHostIPs = []string{"127.0.0.1", "::1"} },
		"port range":          func(c *Config) { c.ICEPortMin, c.ICEPortMax = 40000, 40100 },
		"shared, port range":  func(c *Config) { c.ICELiteShared, c.ICEPortMin, c.ICEPortMax = true, 40000, 40100 },
		"one port, unshared":  func(c *Config) { c.ICEPortMin, c.ICEPortMax = 40000, 40000 },
		"no loopback, no IPs": func(c *Config) { c.ExcludeLoopback = true },
		"not an IP":           func(c *Config) { c.ICEHostIPs = []string{"gateway.example.com"} },
		"not local (NAT)":     func(c *Config) { c.ICEHostIPs = []string{"192.0.2.1"} },
	}
	for name, mutate := range bad {
		cfg := base
		mutate(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	cfg := base
	cfg.ICEHostIPs = []string{"127.0.0.1"}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close(t.Context())
	if g.liteCert.cur == nil || g.liteAddr.String() != "127.0.0.1" {
		t.Fatalf("lite cert %v addr %v", g.liteCert, g.liteAddr)
	}
	// ICELiteShared binds one socket, on the one port asked for.
	probe, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(probe.LocalAddr().(*net.UDPAddr).Port)
	_ = probe.Close()
	cfg.ICELiteShared, cfg.ICEPortMin, cfg.ICEPortMax = true, port, port
	g3, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := g3.liteMux.LocalAddr().Port(); got != port {
		t.Fatalf("shared socket on port %d, want %d", got, port)
	}
	if err := g3.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	again, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)})
	if err != nil {
		t.Fatalf("shared socket not closed by Gateway.Close: %v", err)
	}
	_ = again.Close()

	base.ICELite = false
	base.ICEHostIPs = []string{"192.0.2.1", "192.0.2.2"} // fine for pion (1:1 NAT)
	g2, err := New(base)
	if err != nil {
		t.Fatalf("pion engine: %v", err)
	}
	_ = g2.Close(t.Context())
}

// TestLitePageSilent: an ICE-lite gateway cannot probe the page, so a
// page that sends neither consent checks nor RTP for PeerTimeout is
// gone. pageclient (pion) sends consent checks only every 2 s, so with a
// 1 s PeerTimeout its RTP alone keeps the call up; once its audio stops,
// the SIP leg is hung up as "page unreachable".
func TestLitePageSilent(t *testing.T) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), func(c *Config) {
		c.ICELite = true
		c.Limits.PeerTimeout = time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got echoCollector
	c := b.answeredCall(ctx, got.onRTP)
	b.gw.mu.Lock()
	var gc *call
	for _, x := range b.gw.calls {
		gc = x
	}
	b.gw.mu.Unlock()
	// 3 s of audio (150 echoes at 20 ms): longer than PeerTimeout.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; got.count() < 150; i++ {
		if err := c.WriteAudio(payloadOf(i)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d echoes", got.count())
		case <-gc.finished:
			t.Fatalf("call ended while the page sent audio: %q", gc.endReason)
		case <-tick.C:
		}
	}
	waitSIPLegEnded(t, ctx, echo, "SIP leg not hung up after the page went silent")
	<-gc.finished
	if gc.endReason != reasonUnreachable {
		t.Fatalf("reason %q", gc.endReason)
	}
}
