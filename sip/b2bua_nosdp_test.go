package sip

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// TestB2BUACalleeAnswersWithoutSDP: the callee's 2xx carries no SDP. Some
// PBXs send the answer only in an unreliable 183 and then a bare 200; then
// the caller gets that early answer. With no answer at all the callee
// broke offer/answer: the caller gets 502 and the callee a BYE. Either
// way the caller must get a final response; before, RespondSDP(nil)
// failed and the handler returned with the caller's INVITE unanswered.
func TestB2BUACalleeAnswersWithoutSDP(t *testing.T) {
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\n"
	early := strings.Replace(sdp, "4002", "4444", 1)
	for _, tc := range []struct {
		name   string
		early  bool
		status string
	}{
		{"no answer at all", false, "502"},
		{"answer only in 183", true, "200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startB2BUA(t, nil)
			c, invite, callee, out := callBob(t, ts, sdp)
			contact := "Contact: <sip:bob@" + callee.conn.LocalAddr().String() + ">\r\n"
			if tc.early {
				callee.respond(out, "183 Session Progress", "callee", contact+"Content-Type: application/sdp\r\n", early)
				// Let the 183 arrive first: a 200 right behind it may overtake it.
				buf := make([]byte, 8192)
				for {
					_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
					n, err := c.Read(buf)
					if err != nil {
						t.Fatalf("183 not relayed: %v", err)
					}
					if strings.HasPrefix(string(buf[:n]), "SIP/2.0 183") {
						break
					}
				}
			}
			callee.respond(out, "200 OK", "callee", contact, "")
			callee.expect("ACK ")
			res := finalResponse(t, c, invite)
			wantStatus(t, res, tc.status)
			if tc.early {
				if !strings.Contains(res, "m=audio 4444 ") {
					t.Fatalf("200 to the caller lacks the callee's early answer:\n%s", res)
				}
				// Confirm and end the call.
				target := strings.Trim(header(res, "Contact"), "<>")
				for i, method := range []string{"ACK", "BYE"} {
					msg := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKend%d\r\nMax-Forwards: 70\r\n"+
						"From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
						method, target, c.LocalAddr(), i, header(res, "From"), header(res, "To"), header(res, "Call-ID"), 1+i, method)
					if _, err := c.Write([]byte(msg)); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Either way the callee's leg ends with a BYE.
			bye := callee.expect("BYE ")
			callee.respond(bye, "200 OK", "", "", "")
			waitRecord(t, ts, RecordEnd)
		})
	}
}

// TestB2BUALateInviteRetransmissionAfterBye: a retransmission of the
// caller's INVITE that arrives after the call has ended (it was delayed
// on the way, or queued behind the ACK and BYE) belongs to a finished
// call. sipgo ends the INVITE transaction on BYE, so the copy no longer
// matches it and reached the handler as a new INVITE: the callee was
// called a second time, with nobody on the caller's side.
func TestB2BUALateInviteRetransmissionAfterBye(t *testing.T) {
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\n"
	ts := startB2BUA(t, nil)
	c, invite, callee, out := callBob(t, ts, sdp)
	callee.respond(out, "200 OK", "callee", "Contact: <sip:bob@"+callee.conn.LocalAddr().String()+">\r\nContent-Type: application/sdp\r\n", sdp)
	callee.expect("ACK ")
	var res string
	buf := make([]byte, 8192)
	for !strings.HasPrefix(res, "SIP/2.0 200") {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no 200: %v", err)
		}
		res = string(buf[:n])
	}
	target := strings.Trim(header(res, "Contact"), "<>")
	send := func(method string, seq int) {
		t.Helper()
		msg := fmt.Sprintf("%s %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bKlate%s\r\nMax-Forwards: 70\r\n"+
			"From: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %d %s\r\nContent-Length: 0\r\n\r\n",
			method, target, c.LocalAddr(), method, header(res, "From"), header(res, "To"), header(res, "Call-ID"), seq, method)
		if _, err := c.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	send("ACK", 1)
	if !pollUntil(5*time.Second, func() bool { return ts.countRecords(RecordAnswer) > 0 }) {
		t.Fatal("no answer record")
	}
	send("BYE", 2)
	bye := callee.expect("BYE ")
	callee.respond(bye, "200 OK", "", "", "")
	waitRecord(t, ts, RecordEnd)
	for !strings.Contains(res, "CSeq: 2 BYE") {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("no answer to BYE: %v", err)
		}
		res = string(buf[:n])
	}

	// The late copy of the original INVITE.
	if _, err := c.Write([]byte(invite)); err != nil {
		t.Fatal(err)
	}
	late := ""
	for late == "" || strings.HasPrefix(late, "SIP/2.0 1") {
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, err := c.Read(buf)
		if err != nil {
			late = "(no final response: " + err.Error() + ")"
			break
		}
		late = string(buf[:n])
	}
	if starts := ts.countRecords(RecordStart); starts != 1 {
		t.Fatalf("late INVITE retransmission started call %d; answer:\n%s", starts, late)
	}
	wantStatus(t, late, "482")
}

// callBob sends an anonymous INVITE with sdp for bob, who is bound to a
// raw callee, and returns the caller's socket, the INVITE, the callee and
// the INVITE the B2BUA sent it.
func callBob(t *testing.T, ts *testServer, sdp string) (c *net.UDPConn, invite string, callee *rawPeer, out string) {
	t.Helper()
	callee = newRawPeer(t)
	bindBob(t, ts, callee.conn.LocalAddr().(*net.UDPAddr).Port)
	c = dialServer(t, ts)
	invite = inviteMsg(c.LocalAddr(), anonFrom, "sip:bob@"+testDomain, 1)
	invite = strings.Replace(invite, "Content-Length: 0\r\n\r\n",
		fmt.Sprintf("Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(sdp), sdp), 1)
	if _, err := c.Write([]byte(invite)); err != nil {
		t.Fatal(err)
	}
	return c, invite, callee, callee.expect("INVITE ")
}
