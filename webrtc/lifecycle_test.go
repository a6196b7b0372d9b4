package webrtc

import (
	"context"
	"encoding/binary"
	"net/http"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

func TestRemoteByeEndsPage(t *testing.T) { forEachEngine(t, testRemoteByeEndsPage) }

func testRemoteByeEndsPage(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := b.answeredCall(ctx, nil)
	if err := echo.Hangup(echo.Calls()[0]); err != nil {
		t.Fatal(err)
	}
	m, err := c.WaitState(ctx, "ended")
	if err != nil {
		t.Fatal(err)
	}
	if m.Reason != "remote hangup" {
		t.Fatalf("reason %q", m.Reason)
	}
	waitFor(t, ctx, "page peer connection closed", func() bool {
		return c.PC.ConnectionState() == 5 /* closed */ || c.PC.ConnectionState() == 4 /* failed */ || c.PC.ConnectionState() == 3
	})
	waitFor(t, ctx, "gateway idle", func() bool { return b.gw.Stats().ActiveCalls == 0 })
}

func TestPageHangupOverControlChannel(t *testing.T) {
	forEachEngine(t, testPageHangupOverControlChannel)
}

func testPageHangupOverControlChannel(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := b.answeredCall(ctx, nil)
	if err := c.Send(pageclient.Message{Type: "hangup"}); err != nil {
		t.Fatal(err)
	}
	waitSIPLegEnded(t, ctx, echo, "no BYE")
	if m, err := c.WaitState(ctx, "ended"); err != nil || m.Reason != reasonControl {
		t.Fatalf("ended %+v %v", m, err)
	}
}

// TestPageVanishes closes the page abruptly (no DELETE, no hangup
// message): the SIP leg must be hung up.
func TestPageVanishes(t *testing.T) { forEachEngine(t, testPageVanishes) }

func testPageVanishes(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	waitSIPLegEnded(t, ctx, echo, "SIP leg not hung up after the page vanished")
}

// TestPageNeverConnects posts an offer and never applies the answer: ICE
// never connects, and the SIP leg is hung up after PeerTimeout.
func TestPageNeverConnects(t *testing.T) { forEachEngine(t, testPageNeverConnects) }

func testPageNeverConnects(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(func(c *Config) { c.Limits.PeerTimeout = 300 * time.Millisecond }))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), SkipAnswer: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitFor(t, ctx, "INVITE", func() bool { return len(echo.Calls()) == 1 })
	waitSIPLegEnded(t, ctx, echo, "SIP leg not hung up")
	waitFor(t, ctx, "gateway idle", func() bool { return b.gw.Stats().ActiveCalls == 0 })
}

func TestDTMFFromPage(t *testing.T) { forEachEngine(t, testDTMFFromPage) }

func testDTMFFromPage(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := b.answeredCall(ctx, nil)
	if err := c.Send(pageclient.Message{Type: "dtmf", Digits: "1*9#"}); err != nil {
		t.Fatal(err)
	}
	call := echo.Calls()[0]
	waitFor(t, ctx, "4 digits", func() bool { return call.Digits() == "1*9#" })
	var ends int
	for _, e := range call.Events() {
		if e.End {
			ends++
			if e.Duration != 800 {
				t.Fatalf("end duration %d", e.Duration)
			}
		}
	}
	waitFor(t, ctx, "end packets", func() bool {
		n := 0
		for _, e := range call.Events() {
			if e.End {
				n++
			}
		}
		return n == 12
	})

	// A telephone-event the page itself sends (RTCDTMFSender) passes
	// through with the SIP side's payload type.
	before := len(call.Events())
	ev := make([]byte, 4)
	ev[0], ev[1] = 5, 0x80|10
	binary.BigEndian.PutUint16(ev[2:], 160)
	if err := c.WriteEvent(ev, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "forwarded event", func() bool { return len(call.Events()) > before })
	if e := call.Events()[before]; e.Code != 5 || !e.End {
		t.Fatalf("forwarded event %+v", e)
	}

	if err := c.Send(pageclient.Message{Type: "dtmf", Digits: "x"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "error message", func() bool {
		for _, m := range c.Messages() {
			if m.Type == "error" {
				return true
			}
		}
		return false
	})
}

func TestEarlyMedia(t *testing.T) { forEachEngine(t, testEarlyMedia) }

func testEarlyMedia(t *testing.T, e engine) {
	release := make(chan struct{})
	echo := startEcho(t, sipecho.Options{EarlyMedia: true, Hold: func(string) { <-release }})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got echoCollector
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), OnRTP: got.onRTP})
	if err != nil {
		close(release)
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitState(ctx, "early"); err != nil {
		close(release)
		t.Fatal(err)
	}
	if err := c.ConnectedWithin(ctx); err != nil {
		close(release)
		t.Fatal(err)
	}
	// Before the answer, the page already hears the far end.
	for i := 0; got.count() == 0; i++ {
		_ = c.WriteAudio(payloadOf(i))
		select {
		case <-ctx.Done():
			close(release)
			t.Fatal("no early media")
		case <-time.After(20 * time.Millisecond): // packet pacing, not a wait for a condition
		}
	}
	for _, m := range c.Messages() {
		if m.State == "answered" {
			t.Fatal("answered before the 200")
		}
	}
	close(release)
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		t.Fatal(err)
	}
}

func TestLimits(t *testing.T) { forEachEngine(t, testLimits) }

func testLimits(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(func(c *Config) { c.Limits.MaxCallsPerClient = 1 }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	wantStatus(t, err, http.StatusTooManyRequests)

	b2 := newBed(t, echo.Addr().String(), e.with(func(c *Config) { c.Limits.MaxCalls = 1 }))
	c2, err := b2.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b2.token()})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_, err = b2.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b2.token()})
	wantStatus(t, err, http.StatusServiceUnavailable)
	if err := c2.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	c3, err := b2.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b2.token()})
	if err != nil {
		t.Fatalf("slot not released after hangup: %v", err)
	}
	defer c3.Close()
}

func TestMaxDuration(t *testing.T) { forEachEngine(t, testMaxDuration) }

func testMaxDuration(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(func(c *Config) { c.Limits.MaxDuration = 500 * time.Millisecond }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m, err := c.WaitState(ctx, "ended"); err != nil || m.Reason != "max duration" {
		t.Fatalf("ended %+v %v", m, err)
	}
	waitSIPLegEnded(t, ctx, echo, "no BYE")
}

func TestRejectedCall(t *testing.T) { forEachEngine(t, testRejectedCall) }

func testRejectedCall(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{Reject: 486})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if m, err := c.WaitState(ctx, "ended"); err != nil || m.Reason != "rejected: 486 Rejected" {
		t.Fatalf("ended %+v %v", m, err)
	}
}

func TestBadRequests(t *testing.T) { forEachEngine(t, testBadRequests) }

func testBadRequests(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	do := func(method, ctype, body string, hdr map[string]string) int {
		req, _ := http.NewRequest(method, b.srv.URL+"/call", stringsReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("Origin", testOrigin)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	auth := func() map[string]string { return map[string]string{"Authorization": "Bearer " + b.token()} }
	cases := []struct {
		name   string
		got    int
		status int
	}{
		{"get", do("GET", "", "", nil), 405},
		{"patch", do("PATCH", "application/trickle-ice-sdpfrag", "", nil), 405},
		{"json", do("POST", "application/json", "{}", auth()), 415},
		{"garbage sdp", do("POST", "application/sdp", "hello", auth()), 400},
		{"video only", do("POST", "application/sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n", auth()), 400},
		{"opus only", do("POST", "application/sdp", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n", auth()), 400},
		{"delete unknown", do("DELETE", "", "", nil), 404},
		{"options", do("OPTIONS", "", "", nil), 204},
	}
	for _, c := range cases {
		if c.got != c.status {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.status)
		}
	}
	if echo.Invites.Load() != 0 {
		t.Fatal("bad requests reached SIP")
	}
}

// TestRingTimeout: nobody answers; the INVITE is cancelled after
// Limits.RingTimeout and the page is told.
func TestRingTimeout(t *testing.T) { forEachEngine(t, testRingTimeout) }

func testRingTimeout(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{NoAnswer: true})
	b := newBed(t, echo.Addr().String(), e.with(func(c *Config) { c.Limits.RingTimeout = 300 * time.Millisecond }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WaitState(ctx, "ringing"); err != nil {
		t.Fatal(err)
	}
	m, err := c.WaitState(ctx, "ended")
	if err != nil || m.Reason != "no answer" {
		t.Fatalf("ended %+v %v", m, err)
	}
	waitSIPLegEnded(t, ctx, echo, "INVITE not cancelled")
}
