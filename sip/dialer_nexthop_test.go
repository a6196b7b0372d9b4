package sip

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDialerNextHop: the INVITE and its CANCEL go to NextHop while the
// Request-URI names another host, and no Route header gives the hop away.
func TestDialerNextHop(t *testing.T) {
	p := newRawPeer(t)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	const target = "sip:+19005550100@192.0.2.1:5060" // TEST-NET-1: never reached
	errc := make(chan error, 1)
	go func() {
		c, err := d.Dial(ctx, DialRequest{Target: target, NextHop: p.conn.LocalAddr().String(), SDP: dialerOffer})
		if c != nil {
			c.Hangup(context.Background())
		}
		errc <- err
	}()
	invite := p.expect("INVITE ")
	if got := firstLine(invite); got != "INVITE "+target+" SIP/2.0" {
		t.Fatalf("request line %q", got)
	}
	if strings.Contains(strings.ToLower(invite), "\r\nroute:") {
		t.Fatalf("INVITE names its next hop in a Route header:\n%s", invite)
	}
	p.respond(invite, "180 Ringing", "u", "", "")
	cancel()
	cancelReq := p.expect("CANCEL ")
	p.respond(cancelReq, "200 OK", "", "", "")
	p.respond(invite, "487 Request Terminated", "u", "", "")
	p.expect("ACK ")
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial error = %v, want context.Canceled", err)
	}
}

func TestDialerBadNextHop(t *testing.T) {
	d := newDialerForTest(t, DialerConfig{})
	for _, hop := range []string{"pstn.example.net:5060", "192.0.2.1", "192.0.2.1:0", "[fe80::1%eth0]:5060"} {
		_, err := d.Dial(context.Background(), DialRequest{Target: "sip:bob@192.0.2.1", NextHop: hop, SDP: dialerOffer})
		if !errors.Is(err, ErrBadDialRequest) {
			t.Errorf("NextHop %q: error %v, want ErrBadDialRequest", hop, err)
		}
	}
}

// TestDialerNextHopDialog: the callee answers with a private address in
// its Contact, as a device behind NAT does; the ACK and the BYE still go
// to NextHop, with that Contact as their Request-URI.
func TestDialerNextHopDialog(t *testing.T) {
	p := newRawPeer(t)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	type result struct {
		c   *Call
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := d.Dial(ctx, DialRequest{Target: "sip:bob@192.0.2.1:5060", NextHop: p.conn.LocalAddr().String(), SDP: dialerOffer})
		done <- result{c, err}
	}()
	invite := p.expect("INVITE ")
	const private = "sip:bob@10.0.0.9:5060"
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\n"
	p.respond(invite, "200 OK", "callee", "Contact: <"+private+">\r\nContent-Type: application/sdp\r\n", sdp)
	if ack := p.expect("ACK "); firstLine(ack) != "ACK "+private+" SIP/2.0" {
		t.Fatalf("ACK request line %q", firstLine(ack))
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("Dial: %v", r.err)
	}
	hung := make(chan error, 1)
	go func() { hung <- r.c.Hangup(ctx) }()
	bye := p.expect("BYE ")
	if firstLine(bye) != "BYE "+private+" SIP/2.0" {
		t.Fatalf("BYE request line %q", firstLine(bye))
	}
	p.respond(bye, "200 OK", "", "", "")
	if err := <-hung; err != nil {
		t.Fatalf("Hangup: %v", err)
	}
}
