package webrtc

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

// payloadOf makes a recognisable 160-byte G.711 payload for packet i.
func payloadOf(i int) []byte {
	p := bytes.Repeat([]byte{byte(i)}, 160)
	p[0], p[1] = 0xA5, byte(i>>8)
	return p
}

// echoCollector keeps the payloads the page received.
type echoCollector struct {
	mu   sync.Mutex
	seen map[string]bool
	n    int
}

func (e *echoCollector) onRTP(pkt []byte) {
	if len(pkt) < 12 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	e.seen[string(pkt[12:])] = true
	e.n++
}

func (e *echoCollector) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func (e *echoCollector) has(p []byte) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen[string(p)]
}

// TestEchoCallGoUAS bridges one call to the Go echo UAS: audio both ways,
// the page hangs up with DELETE and the SIP side gets BYE.
func TestEchoCallGoUAS(t *testing.T) { forEachEngine(t, testEchoCallGoUAS) }

func testEchoCallGoUAS(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got echoCollector
	c := b.answeredCall(ctx, got.onRTP)
	const packets = 50
	for i := 0; i < packets; i++ {
		if err := c.WriteAudio(payloadOf(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "echoed packets", func() bool { return got.count() >= packets })
	for i := 0; i < packets; i++ {
		if !got.has(payloadOf(i)) {
			t.Fatalf("payload %d not echoed", i)
		}
	}
	calls := echo.Calls()
	if len(calls) != 1 || calls[0].Echoed.Load() != packets {
		t.Fatalf("sip side calls=%d", len(calls))
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-calls[0].Done():
	case <-ctx.Done():
		t.Fatal("sip side never saw BYE")
	}
	if s := b.gw.Stats(); s.ActiveCalls != 0 || s.PacketsToSIP != packets || s.PacketsToPage != packets {
		t.Fatalf("stats %+v", s)
	}
}

// TestPCMAOverIPv6 offers PCMA only and runs the SIP-side RTP on ::1: the
// SIP side is offered exactly PCMA, and audio is relayed unchanged. (The
// page side stays on IPv4: pageclient gathers UDP4 only.)
func TestPCMAOverIPv6(t *testing.T) { forEachEngine(t, testPCMAOverIPv6) }

func testPCMAOverIPv6(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(func(c *Config) { c.RTPAddr = netip.MustParseAddr("::1") }))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got echoCollector
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), OnRTP: got.onRTP, PCMA: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		t.Fatal(err)
	}
	req := b.rec.requests()[0]
	if !strings.Contains(string(req.SDP), "m=audio ") || !strings.Contains(string(req.SDP), "RTP/AVP 8 101") || !strings.Contains(string(req.SDP), "c=IN IP6 ::1") {
		t.Fatalf("SIP offer:\n%s", req.SDP)
	}
	for i := 0; i < 20; i++ {
		if err := c.WriteAudio(payloadOf(i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, ctx, "echo", func() bool { return got.count() >= 20 })
	if !got.has(payloadOf(19)) {
		t.Fatal("payload changed")
	}
}
