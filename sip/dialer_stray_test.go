package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// rawPeer is a scripted SIP peer on a plain UDP socket, for exchanges
// sipp cannot produce (repeating a 2xx after our ACK, a second fork).
type rawPeer struct {
	t    *testing.T
	conn net.PacketConn
	from net.Addr
}

func newRawPeer(t *testing.T) *rawPeer {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawPeer{t: t, conn: conn}
}

// expect reads the next message and checks its start line begins with
// prefix (e.g. "INVITE ", "ACK ").
func (p *rawPeer) expect(prefix string) string {
	p.t.Helper()
	buf := make([]byte, 8192)
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := p.conn.ReadFrom(buf)
	if err != nil {
		p.t.Fatalf("waiting for %q: %v", prefix, err)
	}
	p.from = from
	msg := string(buf[:n])
	if !strings.HasPrefix(msg, prefix) {
		p.t.Fatalf("got %q, want %q", firstLine(msg), prefix)
	}
	return msg
}

// respond answers req with status, setting the To tag and extra headers.
func (p *rawPeer) respond(req, status, toTag, extra, body string) {
	p.t.Helper()
	var b strings.Builder
	b.WriteString("SIP/2.0 " + status + "\r\n")
	for _, line := range strings.Split(req, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch strings.ToLower(name) {
		case "via", "from", "call-id", "cseq":
			b.WriteString(line + "\r\n")
		case "to":
			if toTag != "" && !strings.Contains(line, "tag=") {
				line += ";tag=" + toTag
			}
			b.WriteString(line + "\r\n")
		}
	}
	fmt.Fprintf(&b, "%sContent-Length: %d\r\n\r\n%s", extra, len(body), body)
	if _, err := p.conn.WriteTo([]byte(b.String()), p.from); err != nil {
		p.t.Fatal(err)
	}
}

func firstLine(msg string) string {
	l, _, _ := strings.Cut(msg, "\r\n")
	return l
}

func header(msg, name string) string {
	for _, line := range strings.Split(msg, "\r\n") {
		n, v, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(n), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestDialerStray2xx: a 2xx repeated after our ACK (the ACK was lost) is
// ACKed again, and a 2xx from a second fork is ACKed and released with
// BYE, while the first dialog stays up.
func TestDialerStray2xx(t *testing.T) {
	p := newRawPeer(t)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		c   *Call
		err error
	}
	res := make(chan result, 1)
	go func() {
		c, err := d.Dial(ctx, DialRequest{Target: "sip:svc@" + p.conn.LocalAddr().String(), SDP: dialerOffer})
		res <- result{c, err}
	}()

	invite := p.expect("INVITE ")
	contact := "Contact: <sip:svc@" + p.conn.LocalAddr().String() + ">\r\nContent-Type: application/sdp\r\n"
	answer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	p.respond(invite, "200 OK", "forkA", contact, answer)
	ack1 := p.expect("ACK ")
	r := <-res
	if r.err != nil {
		t.Fatalf("Dial: %v", r.err)
	}

	p.respond(invite, "200 OK", "forkA", contact, answer) // as if ACK was lost
	ack2 := p.expect("ACK ")
	if header(ack2, "CSeq") != header(ack1, "CSeq") || !strings.Contains(header(ack2, "To"), "forkA") {
		t.Fatalf("re-ACK %q does not match first ACK %q", ack2, ack1)
	}

	p.respond(invite, "200 OK", "forkB", contact, answer) // a second fork answers
	ackB := p.expect("ACK ")
	if !strings.Contains(header(ackB, "To"), "forkB") {
		t.Fatalf("fork ACK To = %q", header(ackB, "To"))
	}
	byeB := p.expect("BYE ")
	if !strings.Contains(header(byeB, "To"), "forkB") {
		t.Fatalf("fork BYE To = %q", header(byeB, "To"))
	}
	p.respond(byeB, "200 OK", "", "", "")

	select {
	case <-r.c.Done():
		t.Fatal("first dialog ended by the second fork")
	default:
	}
	hung := make(chan error, 1)
	go func() { hung <- r.c.Hangup(ctx) }()
	bye := p.expect("BYE ")
	if !strings.Contains(header(bye, "To"), "forkA") {
		t.Errorf("BYE To = %q, want the first fork", header(bye, "To"))
	}
	p.respond(bye, "200 OK", "", "", "")
	if err := <-hung; err != nil {
		t.Fatalf("Hangup: %v", err)
	}
}
