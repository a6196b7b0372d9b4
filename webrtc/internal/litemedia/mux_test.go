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

	"github.com/pion/datachannel"
)

// muxCall is one page and its transport on a shared socket.
type muxCall struct {
	page *testPage
	tr   *Transport
	col  *collector
	dc   *datachannel.DataChannel
	tag  byte // first payload byte of everything sent on this call
}

// connectMuxCalls connects n pages through m concurrently, data channel
// included.
func connectMuxCalls(ctx context.Context, t *testing.T, m *Mux, n int) []*muxCall {
	t.Helper()
	cert, err := GenerateCertificate()
	if err != nil {
		t.Fatal(err)
	}
	calls := make([]*muxCall, n)
	for i := range calls {
		c := &muxCall{page: newTestPage(t, nil), col: newCollector(), tag: byte('A' + i)}
		offer := c.page.offer(ctx, t)
		if c.tr, err = New(offer, Config{Mux: m, Certificate: cert, OnRTP: c.col.onRTP}); err != nil {
			t.Fatal(err)
		}
		if c.tr.LocalAddr() != m.LocalAddr() {
			t.Fatalf("call candidate %v, shared socket %v", c.tr.LocalAddr(), m.LocalAddr())
		}
		calls[i] = c
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, c := range calls {
		c.page.answer(t, c.tr.Answer())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = c.tr.Connect(ctx); errs[i] != nil {
				return
			}
			c.dc, errs[i] = c.tr.AcceptDataChannel(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	for _, c := range calls {
		waitPageConnected(ctx, t, c.page)
	}
	return calls
}

func taggedPayload(tag byte, i int) []byte {
	p := bytes.Repeat([]byte{tag}, 160)
	copy(p[1:], fmt.Sprintf("packet %d", i))
	return p
}

// exchange sends k packets and one data-channel message each way on c and
// checks that c (and only c) got them: every packet either side received
// carries c's tag.
func (c *muxCall) exchange(ctx context.Context, t *testing.T, round, k int) {
	t.Helper()
	have := len(c.col.wait(ctx, t, 0))
	for i := range k {
		c.page.send(t, uint16(round*1000+i+1), taggedPayload(c.tag, round*1000+i))
	}
	got := c.col.wait(ctx, t, have+k)
	for _, pkt := range got {
		if len(pkt) < 13 || pkt[12] != c.tag {
			t.Fatalf("call %c received another call's packet %q", c.tag, pkt)
		}
	}
	haveBack := len(c.page.waitReceived(ctx, t, 0))
	hdr := []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9}
	for i := range k {
		pkt := append(hdr[:12:12], taggedPayload(c.tag, i)...)
		if i%2 == 0 {
			if err := c.tr.WriteRTP(pkt); err != nil {
				t.Fatal(err)
			}
			continue
		}
		// Every other packet sealed, then sent by the caller (the
		// gateway's batched path).
		out, to, err := c.tr.SealRTP(nil, pkt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.tr.mux.UDPConn().WriteToUDPAddrPort(out, to); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range c.page.waitReceived(ctx, t, haveBack+k) {
		if len(p) == 0 || p[0] != c.tag {
			t.Fatalf("page %c received another call's packet %q", c.tag, p)
		}
	}
	msg := fmt.Sprintf("%c-%d", c.tag, round)
	if err := c.page.dc.SendText(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	n, _, err := c.dc.ReadDataChannel(buf)
	if err != nil || string(buf[:n]) != msg {
		t.Fatalf("call %c data channel read %q, %v; want %q", c.tag, buf[:n], err, msg)
	}
	if _, err := c.dc.WriteDataChannel([]byte(msg+"-back"), true); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-c.page.msgs:
		if string(m.Data) != msg+"-back" {
			t.Fatalf("page %c got data channel message %q", c.tag, m.Data)
		}
	case <-ctx.Done():
		t.Fatalf("page %c: no data channel message: %v", c.tag, ctx.Err())
	}
}

// Several calls on one socket each get only their own media and data
// channel; closing one leaves the others working and the socket open;
// Mux.Close ends the rest and leaves no goroutine behind.
func TestMuxCallsAreSeparate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := runtime.NumGoroutine()
	m, err := NewMux(MuxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	calls := connectMuxCalls(ctx, t, m, 3)
	for _, c := range calls {
		c.exchange(ctx, t, 0, 20)
	}
	if err := calls[0].tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := calls[0].tr.WriteRTP(append([]byte{0x80, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1}, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("WriteRTP after Close = %v", err)
	}
	for _, c := range calls[1:] {
		c.exchange(ctx, t, 1, 20)
	}
	// The closed call's page may still send (or have stopped on the
	// close_notify); SRTP from an address nobody latched is dropped and
	// counted either way.
	in := calls[0].tr.Stats().PacketsIn
	before := m.Stats().Unknown
	calls[0].page.send(t, 60000, taggedPayload('A', 1))
	stray, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stray.Close()
	if _, err := stray.WriteToUDPAddrPort(append([]byte{0x80, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1}, 1), m.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	calls[1].exchange(ctx, t, 2, 1) // the reader has handled the packets above by now
	if calls[0].tr.Stats().PacketsIn != in {
		t.Fatal("a closed call received media")
	}
	if m.Stats().Unknown <= before {
		t.Fatal("media from an unlatched address was not counted as unknown")
	}
	for _, c := range calls {
		c.page.close()
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls[1:] {
		if err := c.tr.WriteRTP(append([]byte{0x80, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1}, 1)); !errors.Is(err, ErrClosed) {
			t.Fatalf("WriteRTP after Mux.Close = %v", err)
		}
	}
	if _, err := m.conn.WriteToUDPAddrPort([]byte{0}, m.LocalAddr()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("shared socket still open: %v", err)
	}
	if _, err := New(minimalOffer, Config{Mux: m}); !errors.Is(err, ErrClosed) {
		t.Fatalf("New on a closed Mux = %v", err)
	}
	waitGoroutines(ctx, t, base)
}

// A check naming call A's ufrag but signed with call B's password is
// refused and latches nothing; a check valid for B from the address A has
// latched does not take it from A.
func TestMuxCredentialsAreThePerCallOnes(t *testing.T) {
	m, err := NewMux(MuxConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	a, err := New(minimalOffer, Config{Mux: m})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(minimalOffer, Config{Mux: m})
	if err != nil {
		t.Fatal(err)
	}

	mixed := newChecker(t, a)
	mixed.pwd = b.icePwd
	mixed.wait = 300 * time.Millisecond
	if mixed.check(t, true) {
		t.Fatal("check with A's ufrag and B's password was answered")
	}
	if _, ok := a.Remote(); ok {
		t.Fatal("check with B's password latched A")
	}
	if _, ok := b.Remote(); ok {
		t.Fatal("check with A's ufrag latched B")
	}

	ca := newChecker(t, a)
	if !ca.check(t, true) {
		t.Fatal("valid check for A not answered")
	}
	if r, _ := a.Remote(); r != ca.addr() {
		t.Fatalf("A latched %v, want %v", r, ca.addr())
	}
	// B's credentials from A's address: refused, A keeps its address.
	steal := newChecker(t, b)
	steal.conn = ca.conn
	steal.wait = 300 * time.Millisecond
	if steal.check(t, true) {
		t.Fatal("B's check from A's latched address was answered")
	}
	if r, _ := a.Remote(); r != ca.addr() {
		t.Fatalf("A's address moved to %v", r)
	}
	if _, ok := b.Remote(); ok {
		t.Fatal("B latched A's address")
	}
	if m.Stats().Refused != 1 {
		t.Fatalf("stats %+v, want 1 refused", m.Stats())
	}
	// B from its own address works, and A can move (nominated) to a new
	// address, freeing the old one.
	cb := newChecker(t, b)
	if !cb.check(t, true) {
		t.Fatal("valid check for B not answered")
	}
	ca2 := newChecker(t, a)
	if !ca2.check(t, true) {
		t.Fatal("A's nominated move not answered")
	}
	if !steal.check(t, true) {
		t.Fatal("B could not take an address A has left")
	}
	if r, _ := b.Remote(); r != ca.addr() {
		t.Fatalf("B latched %v, want %v", r, ca.addr())
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if len(m.byAddr) != 2 || m.byAddr[ca2.addr()] != a || m.byAddr[ca.addr()] != b {
		t.Fatalf("routes %v", m.byAddr)
	}
}
