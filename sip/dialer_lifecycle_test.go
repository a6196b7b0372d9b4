package sip

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestDialerCancelRace2xx: the UAS answers 200 just as our CANCEL
// arrives; the dialer must ACK that 2xx and BYE it (sipp checks both).
func TestDialerCancelRace2xx(t *testing.T) {
	uas := dialerStartUAS(t, "uas_cancel_race.xml", 1, nil)
	base := runtime.NumGoroutine()
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer,
		OnProgress: func(Progress) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial error = %v, want context.Canceled", err)
	}
	uas.waitOK(t) // CANCEL, then ACK and BYE for the racing 200
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	dialerWaitGoroutines(t, base)
}

func TestDialerMaxDuration(t *testing.T) {
	uas := dialerStartUAS(t, "uas_answer.xml", 1, nil)
	d := newDialerForTest(t, DialerConfig{MaxDuration: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	dialerWaitDone(t, c)
	if c.Cause() != EndMaxDuration {
		t.Fatalf("Cause = %v, want max duration", c.Cause())
	}
	uas.waitOK(t) // the BYE arrived
}

func TestDialerCloseEndsCalls(t *testing.T) {
	uas := dialerStartUAS(t, "uas_answer.xml", 1, nil)
	base := runtime.NumGoroutine()
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Close returned with the call still up")
	}
	if c.Cause() != EndDialerClosed {
		t.Fatalf("Cause = %v, want dialer closed", c.Cause())
	}
	uas.waitOK(t) // the BYE arrived
	if _, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer}); !errors.Is(err, ErrDialerClosed) {
		t.Fatalf("Dial after Close = %v, want ErrDialerClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	dialerWaitGoroutines(t, base)
}

func TestDialerClosePendingDial(t *testing.T) {
	uas := dialerStartUAS(t, "uas_ring_cancel.xml", 1, nil)
	base := runtime.NumGoroutine()
	d := newDialerForTest(t, DialerConfig{})
	ringing := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		_, err := d.Dial(context.Background(), DialRequest{Target: uas.Target, SDP: dialerOffer,
			OnProgress: func(Progress) { once.Do(func() { close(ringing) }) }})
		errc <- err
	}()
	select {
	case <-ringing:
	case <-time.After(10 * time.Second):
		t.Fatal("no 180 Ringing")
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrDialerClosed) {
		t.Fatalf("Dial error = %v, want ErrDialerClosed", err)
	}
	uas.waitOK(t) // CANCEL, 487 and its ACK
	dialerWaitGoroutines(t, base)
}

// TestDialerBurstNoLeak places a burst of concurrent calls, hangs them
// all up and checks that goroutines return to where they were, first
// with the Dialer still open (no per-call leak), then after Close.
func TestDialerBurstNoLeak(t *testing.T) {
	const calls = 20
	uas := dialerStartUAS(t, "uas_answer.xml", calls, nil, "-l", "50")
	before := runtime.NumGoroutine()
	d := newDialerForTest(t, DialerConfig{})
	open := runtime.NumGoroutine()

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := d.Dial(ctx, DialRequest{Target: uas.Target, SDP: dialerOffer})
			if err != nil {
				errs <- err
				return
			}
			errs <- c.Hangup(ctx)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
	}
	uas.waitOK(t)
	dialerWaitGoroutines(t, open)
	d.mu.Lock()
	n := len(d.calls)
	d.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d calls still registered", n)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	dialerWaitGoroutines(t, before)
}
