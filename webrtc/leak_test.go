package webrtc

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// oneCall runs a short bridged call and ends it the way i selects.
func oneCall(ctx context.Context, b *bed, echo *sipecho.Server, hc *http.Client, i int) error {
	var got echoCollector
	c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token(), OnRTP: got.onRTP, HTTP: hc})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		return err
	}
	for n := 0; got.count() == 0; n++ {
		if err := c.WriteAudio(payloadOf(n)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("call %d: no echo: %w", i, ctx.Err())
		case <-time.After(20 * time.Millisecond): // packet pacing
		}
	}
	switch i % 3 {
	case 0:
		return c.Hangup(ctx)
	case 1:
		if err := c.Send(pageclient.Message{Type: "hangup"}); err != nil {
			return err
		}
	case 2:
		for _, sc := range echo.Calls() {
			if sc.RequestURI != "" && len(sc.From) > 0 {
				select {
				case <-sc.Done():
				default:
					if sc.Echoed.Load() > 0 {
						// any live call of ours: hang it up from the SIP side
						_ = echo.Hangup(sc)
						_, err := c.WaitState(ctx, "ended")
						return err
					}
				}
			}
		}
		return c.Hangup(ctx)
	}
	_, err = c.WaitState(ctx, "ended")
	return err
}

func TestNoLeaks(t *testing.T) { forEachEngine(t, testNoLeaks) }

func testNoLeaks(t *testing.T, e engine) {
	if testing.Short() {
		t.Skip("150 calls")
	}
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(func(c *Config) {
		c.Limits.MaxCallsPerClient, c.Limits.MaxCallsPerOrigin = 100, 100
	}))
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	// Warm up once so lazily started runtime and pion goroutines count
	// in the baseline.
	if err := oneCall(ctx, b, echo, hc, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "idle", func() bool { return b.gw.Stats().ActiveCalls == 0 && echo.Active() == 0 })
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	settle := func(phase string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			g, fd := runtime.NumGoroutine(), openFDs(t)
			if g <= baseG && fd <= baseFD && b.gw.Stats().ActiveCalls == 0 {
				t.Logf("%s: goroutines %d (baseline %d), fds %d (baseline %d)", phase, g, baseG, fd, baseFD)
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("%s: goroutines %d (baseline %d), fds %d (baseline %d), active %d\n%s",
					phase, g, baseG, fd, baseFD, b.gw.Stats().ActiveCalls, buf[:n])
			}
			select {
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}

	for i := 0; i < 100; i++ {
		if err := oneCall(ctx, b, echo, hc, i); err != nil {
			t.Fatalf("sequential call %d: %v", i, err)
		}
	}
	settle("100 sequential")

	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := oneCall(ctx, b, echo, hc, i%2); err != nil { // DELETE or channel hangup
				errs <- fmt.Errorf("concurrent call %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	settle("50 concurrent")
	if s := b.gw.Stats(); s.EndedCalls != 151 {
		t.Fatalf("stats %+v", s)
	}
}

// TestCloseEndsCalls checks that Gateway.Close hangs up every call and
// waits for them.
func TestCloseEndsCalls(t *testing.T) { forEachEngine(t, testCloseEndsCalls) }

func testCloseEndsCalls(t *testing.T, e engine) {
	echo := startEcho(t, sipecho.Options{})
	b := newBed(t, echo.Addr().String(), e.with(nil))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var clients []*pageclient.Client
	for i := 0; i < 3; i++ {
		c, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.WaitState(ctx, "answered"); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if err := b.gw.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := b.gw.Stats().ActiveCalls; n != 0 {
		t.Fatalf("%d calls after Close", n)
	}
	if err := echo.WaitActive(ctx, 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		if m, err := c.WaitState(ctx, "ended"); err != nil || m.Reason != "shutdown" {
			t.Fatalf("ended %+v %v", m, err)
		}
	}
	_, err := b.dial(ctx, pageclient.Options{Origin: testOrigin, Token: b.token()})
	wantStatus(t, err, http.StatusServiceUnavailable)
}
