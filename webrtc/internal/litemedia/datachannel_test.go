package litemedia

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// The page's "webdial" control channel opens over SCTP/DTLS and messages
// go both ways.
func TestDataChannelRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base := runtime.NumGoroutine()
	page := newTestPage(t, nil)
	tr, err := New(page.offer(ctx, t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	page.answer(t, tr.Answer())
	if err := tr.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	dc, err := tr.AcceptDataChannel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Config.Label != "webdial" {
		t.Fatalf("label %q", dc.Config.Label)
	}
	select {
	case <-page.open:
	case <-ctx.Done():
		t.Fatal("page's data channel did not open")
	}
	if err := page.dc.SendText(`{"type":"dtmf","digits":"1"}`); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	n, isString, err := dc.ReadDataChannel(buf)
	if err != nil || !isString || string(buf[:n]) != `{"type":"dtmf","digits":"1"}` {
		t.Fatalf("gateway read %q string=%v err=%v", buf[:n], isString, err)
	}
	if _, err := dc.WriteDataChannel([]byte(`{"type":"state","state":"answered"}`), true); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-page.msgs:
		if !m.IsString || string(m.Data) != `{"type":"state","state":"answered"}` {
			t.Fatalf("page got %q", m.Data)
		}
	case <-ctx.Done():
		t.Fatal("page got no message")
	}
	page.close()
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	waitGoroutines(ctx, t, base)
}

// AcceptDataChannel returns when the transport is closed under it, and
// nothing is left running.
func TestAcceptDataChannelEndsOnClose(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	base := runtime.NumGoroutine()
	page := newTestPage(t, nil)
	// A page without a data channel never opens one; use the offer with
	// one so that SCTP comes up and Accept really blocks.
	tr, err := New(page.offer(ctx, t), Config{})
	if err != nil {
		t.Fatal(err)
	}
	page.answer(t, tr.Answer())
	if err := tr.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := tr.AcceptDataChannel(ctx) // the page's "webdial"
	if err != nil {
		t.Fatal(err)
	}
	_ = first
	errc := make(chan error, 1)
	go func() {
		_, err := tr.AcceptDataChannel(ctx)
		errc <- err
	}()
	// Close while the second Accept may or may not have started blocking:
	// both orders must end with ErrClosed.
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("AcceptDataChannel = %v, want ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("AcceptDataChannel did not return after Close")
	}
	page.close()
	waitGoroutines(ctx, t, base)
}
