package sip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDialerAnsweredLocalBye(t *testing.T) {
	uas := dialerStartUAS(t, "uas_answer.xml", 1, nil)
	base := runtime.NumGoroutine()
	d := newDialerForTest(t, DialerConfig{})

	var progress []Progress
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer,
		OnProgress: func(p Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if !dialerSDPHasMedia(c.RemoteSDP()) || !strings.Contains(string(c.RemoteSDP()), "o=sipp") {
		t.Fatalf("remote SDP = %q", c.RemoteSDP())
	}
	if len(progress) != 1 || progress[0].StatusCode != 180 || progress[0].SDP != nil {
		t.Fatalf("progress = %+v, want one 180 without SDP", progress)
	}
	if c.Cause() != EndNone {
		t.Fatalf("Cause = %v before hangup", c.Cause())
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	dialerWaitDone(t, c)
	if c.Cause() != EndLocalHangup {
		t.Fatalf("Cause = %v, want local hangup", c.Cause())
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("second Hangup: %v", err)
	}
	uas.waitOK(t)
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	dialerWaitGoroutines(t, base)
}

func TestDialerRemoteBye(t *testing.T) {
	uas := dialerStartUAS(t, "uas_remote_bye.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer,
		From: `"Visitor" <sip:anonymous.abc@anonymous.invalid>`})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	dialerWaitDone(t, c)
	if c.Cause() != EndRemoteHangup {
		t.Fatalf("Cause = %v, want remote hangup", c.Cause())
	}
	uas.waitOK(t)
}

func TestDialerProgressEarlySDP(t *testing.T) {
	uas := dialerStartUAS(t, "uas_progress.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{})
	var mu sync.Mutex
	var progress []Progress
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer,
		OnProgress: func(p Progress) { mu.Lock(); progress = append(progress, p); mu.Unlock() }})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	mu.Lock()
	got := append([]Progress(nil), progress...)
	mu.Unlock()
	// sipgo hands each received message to its own goroutine, so two
	// provisional responses sent back to back may be reported in either
	// order (as UDP may reorder them anyway); check the set.
	var ringing, early int
	for _, p := range got {
		switch {
		case p.StatusCode == 180 && p.SDP == nil:
			ringing++
		case p.StatusCode == 183 && p.Reason == "Session Progress" && strings.Contains(string(p.SDP), "s=early"):
			early++
		}
	}
	if len(got) != 2 || ringing != 1 || early != 1 {
		t.Fatalf("progress = %+v, want a 180 and a 183 with early SDP", got)
	}
	if !strings.Contains(string(c.EarlySDP()), "s=early") || strings.Contains(string(c.RemoteSDP()), "s=early") {
		t.Fatalf("early SDP %q, final %q", c.EarlySDP(), c.RemoteSDP())
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	uas.waitOK(t)
}

func TestDialerCancelBeforeAnswer(t *testing.T) {
	uas := dialerStartUAS(t, "uas_ring_cancel.xml", 1, nil)
	base := runtime.NumGoroutine()
	d := newDialerForTest(t, DialerConfig{})
	open := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ringing := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		_, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer,
			OnProgress: func(p Progress) { once.Do(func() { close(ringing) }) }})
		errc <- err
	}()
	select {
	case <-ringing:
	case <-time.After(10 * time.Second):
		t.Fatal("no 180 Ringing")
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial error = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Dial did not return after cancel")
	}
	uas.waitOK(t)                 // sipp saw CANCEL, sent 487 and got its ACK
	dialerWaitGoroutines(t, open) // the background CANCEL saw the 487
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	dialerWaitGoroutines(t, base)
}

func TestDialerRingTimeout(t *testing.T) {
	uas := dialerStartUAS(t, "uas_ring_cancel.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{RingTimeout: 300 * time.Millisecond})
	_, err := d.Dial(context.Background(), DialRequest{Target: uas.Target, SDP: dialerOffer})
	if !errors.Is(err, ErrRingTimeout) {
		t.Fatalf("Dial error = %v, want ErrRingTimeout", err)
	}
	uas.waitOK(t)
}

func TestDialerBusy(t *testing.T) {
	uas := dialerStartUAS(t, "uas_busy.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
	var ce *CallError
	if !errors.As(err, &ce) || ce.StatusCode != 486 || ce.Reason != "Busy Here" {
		t.Fatalf("Dial error = %#v, want *CallError 486 Busy Here", err)
	}
	if !errors.Is(err, ErrRejected) || !errors.Is(err, ErrBusy) || errors.Is(err, ErrAuthFailed) {
		t.Fatalf("error classes wrong for %v", err)
	}
	uas.waitOK(t)
}

func TestDialerAuth401(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		ok             bool
	}{{"correct", "s3cr3t!", true}, {"wrong", "guess", false}} {
		t.Run(tc.name, func(t *testing.T) {
			uas := dialerStartUAS(t, "uas_auth.xml", 1, map[string]any{"Password": "s3cr3t!"})
			logs := &dialerLogBuffer{}
			d := newDialerForTest(t, DialerConfig{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer,
				Username: "alice", Password: tc.password})
			if tc.ok {
				if err != nil {
					t.Fatalf("Dial: %v\n%s", err, logs)
				}
				if err := c.Hangup(ctx); err != nil {
					t.Fatalf("Hangup: %v", err)
				}
			} else {
				var ce *CallError
				if !errors.Is(err, ErrAuthFailed) || !errors.As(err, &ce) || ce.StatusCode != 401 {
					t.Fatalf("Dial error = %v, want ErrAuthFailed with 401", err)
				}
			}
			uas.waitOK(t)
			d.Close()
			for _, secret := range []string{tc.password, "Authorization:", "response="} {
				if strings.Contains(logs.String(), secret) {
					t.Fatalf("log contains %q:\n%s", secret, logs)
				}
			}
		})
	}
}

func TestDialerIPv6(t *testing.T) {
	if ln, err := net.ListenPacket("udp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		ln.Close()
	}
	uas := dialerStartUASOn(t, "::1", "uas_remote_bye.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{LocalAddr: "[::1]:0"})
	if !d.Addr().Addr().Is6() || d.Addr().Port() == 0 {
		t.Fatalf("Addr = %v, want a bound IPv6 address", d.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	dialerWaitDone(t, c) // the UAS's BYE found our Contact
	if c.Cause() != EndRemoteHangup {
		t.Fatalf("Cause = %v", c.Cause())
	}
	uas.waitOK(t)
}

func TestDialerTCP(t *testing.T) {
	for _, scenario := range []string{"uas_answer.xml", "uas_remote_bye.xml"} {
		t.Run(scenario, func(t *testing.T) {
			uas := dialerStartUAS(t, scenario, 1, nil, "-t", "t1")
			base := runtime.NumGoroutine()
			d := newDialerForTest(t, DialerConfig{Transport: "tcp"})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
			if err != nil {
				t.Fatalf("Dial over TCP: %v", err)
			}
			if !dialerSDPHasMedia(c.RemoteSDP()) {
				t.Fatalf("remote SDP = %q", c.RemoteSDP())
			}
			if scenario == "uas_answer.xml" {
				if err := c.Hangup(ctx); err != nil {
					t.Fatalf("Hangup: %v", err)
				}
			}
			dialerWaitDone(t, c)
			uas.waitOK(t)
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			dialerWaitGoroutines(t, base)
		})
	}
}

// TestDialerHangupCancelledContext: a Hangup whose ctx is already done
// still sends the BYE (so the peer is released).
func TestDialerHangupCancelledContext(t *testing.T) {
	uas := dialerStartUAS(t, "uas_answer.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	// The 200 may already be there when Hangup looks, so nil is fine too.
	if err := c.Hangup(done); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Hangup = %v, want nil or context.Canceled", err)
	}
	if c.Cause() != EndLocalHangup {
		t.Fatalf("Cause = %v", c.Cause())
	}
	uas.waitOK(t) // the BYE arrived anyway
}
