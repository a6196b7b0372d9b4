package webrtc

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
	"github.com/webdial/webdial/webrtc/internal/pageclient"
)

// startSippEcho runs a sipp UAS with RTP echo for one call and returns its
// SIP "host:port".
func startSippEcho(t *testing.T, scenario string, vars map[string]any) (*testpeer.Peer, string) {
	t.Helper()
	ports := testpeer.FreePorts(t, 2)
	p := testpeer.Start(t, "sipp", testpeer.Options{
		Args: []string{"-sf", "{{.Dir}}/scenario.xml", "-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]),
			"-mp", strconv.Itoa(ports[1]), "-rtp_echo", "-m", "1", "-nostdin",
			"-timeout", "30s", "-timeout_error", "-trace_stat", "-stf", "{{.Dir}}/stats.csv"},
		Configs: map[string]string{"scenario.xml": "testdata/sipp/" + scenario},
		Vars:    vars,
		Listen:  []string{"udp:" + strconv.Itoa(ports[0])},
	})
	return p, "127.0.0.1:" + strconv.Itoa(ports[0])
}

// pageRecorder counts audio echoes and telephone-events reaching the page.
type pageRecorder struct {
	echoCollector
	mu     sync.Mutex
	events []byte
}

func (p *pageRecorder) onRTP(pkt []byte) {
	if len(pkt) >= 16 && pkt[1]&0x7f == 126 {
		p.mu.Lock()
		p.events = append(p.events, pkt[12])
		p.mu.Unlock()
		return
	}
	p.echoCollector.onRTP(pkt)
}

func (p *pageRecorder) sawEvent(code byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.events {
		if e == code {
			return true
		}
	}
	return false
}

// sendUntilEchoed paces 20 ms packets until want distinct payloads came
// back, and checks each one sent is among them.
func sendUntilEchoed(t *testing.T, ctx context.Context, c *pageclient.Client, got *pageRecorder, want int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for got.count() < want {
		if sent < want+50 {
			if err := c.WriteAudio(payloadOf(sent)); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d of %d packets echoed", got.count(), want)
		case <-tick.C:
		}
	}
	for i := 0; i < want; i++ {
		if !got.has(payloadOf(i)) {
			t.Fatalf("payload %d was not echoed unchanged", i)
		}
	}
}

// TestSippEchoPageHangsUp: page -> gateway -> sip.Dialer -> sipp UAS with
// -rtp_echo; audio both ways, DTMF as RFC 4733 (echoed back by sipp to the
// page), hang-up by DELETE; sipp must complete its scenario (BYE seen).
func TestSippEchoPageHangsUp(t *testing.T) { forEachEngine(t, testSippEchoPageHangsUp) }

func testSippEchoPageHangsUp(t *testing.T, e engine) {
	sipp, addr := startSippEcho(t, "uas_echo.xml", nil)
	b := newBed(t, addr, e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got pageRecorder
	c := b.answeredCall(ctx, got.onRTP)
	if err := c.ConnectedWithin(ctx); err != nil {
		t.Fatal(err)
	}
	sendUntilEchoed(t, ctx, c, &got, 100)
	if err := c.Send(pageclient.Message{Type: "dtmf", Digits: "7"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "RFC 4733 event 7 echoed by sipp", func() bool { return got.sawEvent(7) })
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sipp.Wait(ctx); err != nil {
		t.Fatalf("sipp did not complete (no BYE?): %v\n%s", err, sipp.Output())
	}
	s := b.gw.Stats()
	t.Logf("relayed %d packets to SIP, %d to the page", s.PacketsToSIP, s.PacketsToPage)
	if s.PacketsToSIP < 100 || s.PacketsToPage < 100 {
		t.Fatalf("stats %+v", s)
	}
}

// TestSippEchoRemoteBye: sipp hangs up; the page is told and its peer
// connection is closed.
func TestSippEchoRemoteBye(t *testing.T) { forEachEngine(t, testSippEchoRemoteBye) }

func testSippEchoRemoteBye(t *testing.T, e engine) {
	sipp, addr := startSippEcho(t, "uas_echo_bye.xml", map[string]any{"HoldMS": 4000})
	b := newBed(t, addr, e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got pageRecorder
	c := b.answeredCall(ctx, got.onRTP)
	if err := c.ConnectedWithin(ctx); err != nil {
		t.Fatal(err)
	}
	sendUntilEchoed(t, ctx, c, &got, 50)
	m, err := c.WaitState(ctx, "ended")
	if err != nil {
		t.Fatal(err)
	}
	if m.Reason != "remote hangup" {
		t.Fatalf("reason %q", m.Reason)
	}
	if err := sipp.Wait(ctx); err != nil {
		t.Fatalf("sipp: %v\n%s", err, sipp.Output())
	}
	waitFor(t, ctx, "gateway idle", func() bool { return b.gw.Stats().ActiveCalls == 0 })
}
