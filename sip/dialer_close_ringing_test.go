package sip

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDialerCloseBeforeProvisionalStillCancels: Close while an INVITE has
// had no response yet. RFC 3261 §9.1 forbids CANCEL before a provisional
// response, so the dialer must wait (bounded) for one and then cancel;
// giving up at once left the callee ringing with nobody there, and an
// answer later would have gone unACKed.
func TestDialerCloseBeforeProvisionalStillCancels(t *testing.T) {
	p := newRawPeer(t)
	d := newDialerForTest(t, DialerConfig{})
	errc := make(chan error, 1)
	go func() {
		_, err := d.Dial(context.Background(), DialRequest{Target: "sip:svc@" + p.conn.LocalAddr().String(), SDP: dialerOffer})
		errc <- err
	}()
	invite := p.expect("INVITE ")
	closed := make(chan error, 1)
	go func() { closed <- d.Close() }()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrDialerClosed) {
			t.Fatalf("Dial error = %v, want ErrDialerClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Dial did not return after Close")
	}
	p.respond(invite, "180 Ringing", "callee", "", "")
	var cancel string
	for cancel == "" {
		msg := p.expect("") // INVITE retransmissions may come first
		switch {
		case strings.HasPrefix(msg, "CANCEL "):
			cancel = msg
		case !strings.HasPrefix(msg, "INVITE "):
			t.Fatalf("got %q, want CANCEL", firstLine(msg))
		}
	}
	p.respond(cancel, "200 OK", "callee", "", "")
	p.respond(invite, "487 Request Terminated", "callee", "", "")
	p.expect("ACK ")
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
}
