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

// send writes a request to the dialer from the peer's socket.
func (p *rawPeer) send(to net.Addr, lines ...string) {
	p.t.Helper()
	msg := strings.Join(lines, "\r\n") + "\r\nContent-Length: 0\r\n\r\n"
	if _, err := p.conn.WriteTo([]byte(msg), to); err != nil {
		p.t.Fatal(err)
	}
}

// TestDialerInDialogRequests: what the peer may send into an answered
// call: a re-INVITE is refused with 488 and the call goes on, OPTIONS
// gets 200, an unknown method 405, a BYE with the wrong tags 481, a new
// INVITE 403; then a proper BYE ends the call.
func TestDialerInDialogRequests(t *testing.T) {
	p := newRawPeer(t)
	d := newDialerForTest(t, DialerConfig{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := make(chan *Call, 1)
	go func() {
		c, err := d.Dial(ctx, DialRequest{Target: "sip:svc@" + p.conn.LocalAddr().String(), SDP: dialerOffer})
		if err != nil {
			t.Errorf("Dial: %v", err)
		}
		res <- c
	}()
	invite := p.expect("INVITE ")
	p.respond(invite, "200 OK", "peer1", "Contact: <sip:svc@"+p.conn.LocalAddr().String()+">\r\n", "")
	p.expect("ACK ")
	c := <-res
	if c == nil {
		t.FailNow()
	}
	dialer := net.UDPAddrFromAddrPort(d.Addr())
	local := p.conn.LocalAddr().String()
	ruri := "sip:webdial@" + d.Addr().String()
	inDialog := func(method string, cseq int, fromTag, toHeader string) []string {
		return []string{
			method + " " + ruri + " SIP/2.0",
			"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-" + method + fmt.Sprint(cseq),
			"From: <sip:svc@" + local + ">;tag=" + fromTag,
			"To: " + toHeader,
			"Call-ID: " + c.CallID(),
			fmt.Sprintf("CSeq: %d %s", cseq, method),
			"Contact: <sip:svc@" + local + ">",
			"Max-Forwards: 70",
		}
	}
	ourTo := header(invite, "From") // our From (with our tag) is the peer's To
	for _, tc := range []struct {
		lines  []string
		status string
	}{
		{inDialog("INVITE", 2, "peer1", ourTo), "SIP/2.0 488"},
		{inDialog("OPTIONS", 3, "peer1", ourTo), "SIP/2.0 200"},
		{inDialog("SUBSCRIBE", 4, "peer1", ourTo), "SIP/2.0 405"},
		{inDialog("BYE", 5, "intruder", ourTo), "SIP/2.0 481"},
		{inDialog("INVITE", 1, "new", "<sip:webdial@"+d.Addr().String()+">"), "SIP/2.0 403"},
	} {
		p.send(dialer, tc.lines...)
		got := p.expect("SIP/2.0 ")
		for strings.HasPrefix(got, "SIP/2.0 100") {
			got = p.expect("SIP/2.0 ")
		}
		if !strings.HasPrefix(got, tc.status) {
			t.Fatalf("%s: got %q, want %s", firstLine(tc.lines[0]), firstLine(got), tc.status)
		}
		if strings.HasPrefix(tc.lines[0], "INVITE") {
			// ACK the non-2xx final response as the transaction expects.
			ack := append([]string{"ACK " + ruri + " SIP/2.0"}, tc.lines[1:]...)
			ack[5] = strings.Replace(ack[5], "INVITE", "ACK", 1)
			ack[3] = "To: " + header(got, "To")
			p.send(dialer, ack...)
		}
		select {
		case <-c.Done():
			t.Fatalf("call ended after %s", firstLine(tc.lines[0]))
		default:
		}
	}
	p.send(dialer, inDialog("BYE", 6, "peer1", ourTo)...)
	if got := p.expect("SIP/2.0 "); !strings.HasPrefix(got, "SIP/2.0 200") {
		t.Fatalf("BYE answered %q", firstLine(got))
	}
	dialerWaitDone(t, c)
	if c.Cause() != EndRemoteHangup {
		t.Fatalf("Cause = %v", c.Cause())
	}
}
