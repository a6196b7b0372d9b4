package webrtc

import (
	"context"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

// TestTwoCallsOneSIPMediaPort runs two calls at once against a SIP side
// that answers both with the same media port and echoes to the source
// (sipecho.SharedMedia, as sipp -rtp_echo does; the load test's echo).
// Each page must get back exactly its own audio: the relays latch on
// their own sockets, not on the SIP side's port.
func TestTwoCallsOneSIPMediaPort(t *testing.T) { forEachEngine(t, testTwoCallsOneSIPMediaPort) }

func testTwoCallsOneSIPMediaPort(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{SharedMedia: true})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got [2]echoCollector
	var pages [2]*pageclient.Client
	for i := range pages {
		c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), OnRTP: got[i].onRTP})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.WaitState(ctx, "answered"); err != nil {
			t.Fatal(err)
		}
		pages[i] = c
	}
	const packets = 40
	for i := 0; i < packets; i++ {
		for p, c := range pages {
			if err := c.WriteAudio(payloadOf(2*i + p)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, ctx, "echoed packets", func() bool { return got[0].count() >= packets && got[1].count() >= packets })
	for i := 0; i < packets; i++ {
		for p := range pages {
			if !got[p].has(payloadOf(2*i+p)) || got[p].has(payloadOf(2*i+1-p)) {
				t.Fatalf("page %d: packet %d missing or the other call's audio received", p, i)
			}
		}
	}
	if got[0].count() != packets || got[1].count() != packets || echo.SharedEchoed.Load() != 2*packets {
		t.Fatalf("received %d and %d, echoed %d", got[0].count(), got[1].count(), echo.SharedEchoed.Load())
	}
	if s := b.gw.Stats(); s.PacketsToSIP != 2*packets || s.PacketsToPage != 2*packets {
		t.Fatalf("stats %+v", s)
	}
}
