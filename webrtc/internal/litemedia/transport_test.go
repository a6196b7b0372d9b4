package litemedia

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	pionwebrtc "github.com/pion/webrtc/v4"
)

// collector gathers what the transport's OnRTP delivers.
type collector struct {
	mu   sync.Mutex
	got  [][]byte
	cond chan struct{}
}

func newCollector() *collector { return &collector{cond: make(chan struct{})} }

func (c *collector) onRTP(pkt []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, append([]byte(nil), pkt...))
	close(c.cond)
	c.cond = make(chan struct{})
}

func (c *collector) wait(ctx context.Context, t *testing.T, n int) [][]byte {
	t.Helper()
	for {
		c.mu.Lock()
		if len(c.got) >= n {
			got := c.got
			c.mu.Unlock()
			return got
		}
		ch, have := c.cond, len(c.got)
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("transport received %d of %d packets: %v", have, n, ctx.Err())
		}
	}
}

func payloadFor(i int) []byte {
	p := bytes.Repeat([]byte{byte(i)}, 160)
	copy(p, fmt.Sprintf("packet %d", i))
	return p
}

func TestMediaBothWays(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	page := newTestPage(t, nil)
	offer := page.offer(ctx, t)
	col := newCollector()
	tr, err := New(offer, Config{OnRTP: col.onRTP})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	page.answer(t, tr.Answer())
	if err := tr.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.LastConsent().IsZero() {
		t.Fatal("connected without a recorded connectivity check")
	}
	waitPageConnected(ctx, t, page)

	const n = 50
	// Page -> transport. Packets are sent one after the other; on loopback
	// none should be lost, but wait for each count so a slow machine does
	// not overflow a socket buffer.
	for i := range n {
		page.send(t, uint16(i+1), payloadFor(i))
	}
	got := col.wait(ctx, t, n)
	for i, pkt := range got[:n] {
		if len(pkt) < 12 || !bytes.Equal(pkt[12:], payloadFor(i)) {
			t.Fatalf("packet %d: payload %q", i, pkt)
		}
	}
	// Transport -> page.
	hdr := []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9}
	for i := range n {
		hdr[2], hdr[3] = byte((i+1)>>8), byte(i+1)
		hdr[7] = byte(i)
		if err := tr.WriteRTP(append(hdr[:12:12], payloadFor(100+i)...)); err != nil {
			t.Fatal(err)
		}
	}
	back := page.waitReceived(ctx, t, n)
	for i, p := range back[:n] {
		if !bytes.Equal(p, payloadFor(100+i)) {
			t.Fatalf("page packet %d: payload %q", i, p)
		}
	}
	s := tr.Stats()
	if s.PacketsIn != n || s.PacketsOut != n || s.Dropped != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func waitPageConnected(ctx context.Context, t *testing.T, p *testPage) {
	t.Helper()
	done := make(chan struct{})
	var once sync.Once
	p.pc.OnConnectionStateChange(func(s pionwebrtc.PeerConnectionState) {
		if s == pionwebrtc.PeerConnectionStateConnected {
			once.Do(func() { close(done) })
		}
	})
	if p.pc.ConnectionState() == pionwebrtc.PeerConnectionStateConnected {
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("page not connected (%v): %v", p.pc.ConnectionState(), ctx.Err())
	}
}

// A page whose certificate does not match its offer's fingerprint (a
// man in the middle) must not get through the handshake.
func TestWrongFingerprintFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	page := newTestPage(t, nil)
	offer := page.offer(ctx, t)
	other, err := GenerateCertificate()
	if err != nil {
		t.Fatal(err)
	}
	forged := replaceFingerprint(t, offer, other.Fingerprint())
	tr, err := New(forged, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	page.answer(t, tr.Answer())
	err = tr.Connect(ctx)
	if !errors.Is(err, ErrFingerprint) {
		t.Fatalf("Connect = %v, want ErrFingerprint", err)
	}
	if err := tr.WriteRTP(make([]byte, 20)); err == nil {
		t.Fatal("WriteRTP worked after a refused handshake")
	}
}

// Close ends every goroutine and closes the socket, connected or not.
func TestCloseLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, connect := range []bool{false, true} {
		t.Run(fmt.Sprint("connected=", connect), func(t *testing.T) {
			base := runtime.NumGoroutine()
			page := newTestPage(t, nil)
			offer := page.offer(ctx, t)
			tr, err := New(offer, Config{})
			if err != nil {
				t.Fatal(err)
			}
			if connect {
				page.answer(t, tr.Answer())
				if err := tr.Connect(ctx); err != nil {
					t.Fatal(err)
				}
			}
			page.close()
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.conn.WriteToUDPAddrPort([]byte{0}, tr.LocalAddr()); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("socket still open: %v", err)
			}
			waitGoroutines(ctx, t, base)
		})
	}
}

// Connect gives up with the context when no page ever shows up.
func TestConnectHonoursContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	page := newTestPage(t, nil)
	tr, err := New(page.offer(ctx, t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if err := tr.Connect(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect = %v, want context.Canceled", err)
	}
}

// The same packet written twice reaches the page twice: the transport
// numbers packets itself, so no SRTP index is reused (the page's replay
// protection would drop the second copy, and with AES-GCM a reused index
// is a reused nonce).
func TestWriteRTPNeverReusesIndex(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	page := newTestPage(t, nil)
	tr, err := New(page.offer(ctx, t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	page.answer(t, tr.Answer())
	if err := tr.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	pkt := append([]byte{0x80, 0, 0, 7, 0, 0, 0, 160, 1, 2, 3, 4}, payloadFor(1)...)
	for range 3 {
		if err := tr.WriteRTP(pkt); err != nil {
			t.Fatal(err)
		}
	}
	page.waitReceived(ctx, t, 3)
}

// Close during a handshake that never completes makes Connect return
// ErrClosed.
func TestCloseDuringConnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	page := newTestPage(t, nil)
	tr, err := New(page.offer(ctx, t), Config{}) // the page never gets the answer
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- tr.Connect(ctx) }()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Connect = %v, want ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("Connect did not return after Close")
	}
}
