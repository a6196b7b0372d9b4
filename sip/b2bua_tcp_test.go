package sip

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readSIP reads one SIP message from a stream (headers, then
// Content-Length bytes of body).
func readSIP(t *testing.T, c net.Conn, r *bufio.Reader) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	length := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading SIP over TCP: %v (so far %q)", err, b.String())
		}
		b.WriteString(line)
		if line == "\r\n" {
			break
		}
		if n, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(n), "Content-Length") {
			length, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	body := make([]byte, length)
	if _, err := ioReadFull(r, body); err != nil {
		t.Fatal(err)
	}
	return b.String() + string(body)
}

func ioReadFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// TestB2BUATCPCallerFollowsContact: a caller that sent its INVITE over TCP
// sends ACK and BYE to the Contact of the 200 as RFC 3261 says: over UDP
// unless the Contact says transport=tcp. With both a UDP and a TCP socket,
// the server's Contact named the UDP socket without a transport, so the
// ACK and BYE of a TCP call went to UDP, where no admitted call knows
// them: the ACK was dropped and the BYE answered 481, leaving the callee
// leg up.
func TestB2BUATCPCallerFollowsContact(t *testing.T) {
	ts := startB2BUA(t, nil)
	callee := newRawPeer(t)
	bindBob(t, ts, callee.conn.LocalAddr().(*net.UDPAddr).Port)

	tc, err := net.Dial("tcp", ts.tcp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	tr := bufio.NewReader(tc)
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()

	local := tc.LocalAddr().String()
	const from = "<sip:anonymous.abcdefghijklmnop@anonymous.invalid>;tag=tcpcaller"
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP 0\r\n"
	request := func(method, ruri, to string, seq int, body string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s SIP/2.0\r\nVia: SIP/2.0/%s %s;branch=z9hG4bKtcp%s%d\r\n", method, ruri, "TCP", local, method, seq)
		fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: tcp-caller@test\r\nCSeq: %d %s\r\n", from, to, seq, method)
		fmt.Fprintf(&b, "Contact: <sip:anonymous@%s;transport=tcp>\r\n", local)
		if body != "" {
			b.WriteString("Content-Type: application/sdp\r\n")
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
		return b.String()
	}
	if _, err := tc.Write([]byte(request("INVITE", "sip:bob@"+testDomain, "<sip:bob@"+testDomain+">", 1, sdp))); err != nil {
		t.Fatal(err)
	}
	inv := callee.expect("INVITE ")
	callee.respond(inv, "200 OK", "callee", "Contact: <sip:bob@"+callee.conn.LocalAddr().String()+">\r\nContent-Type: application/sdp\r\n", sdp)
	callee.expect("ACK ")

	var ok200 string
	for ok200 == "" {
		if res := readSIP(t, tc, tr); strings.HasPrefix(res, "SIP/2.0 200") {
			ok200 = res
		} else if !strings.HasPrefix(res, "SIP/2.0 1") {
			t.Fatalf("INVITE answered:\n%s", res)
		}
	}
	to := header(ok200, "To")
	contact := strings.Trim(header(ok200, "Contact"), "<>")
	target, _, _ := strings.Cut(strings.TrimPrefix(contact, "sip:"), ";")
	_, hostport, _ := strings.Cut(target, "@")
	viaTCP := strings.Contains(strings.ToLower(contact), "transport=tcp")

	// In-dialog requests go to the remote target, over the transport it names.
	send := func(msg string) {
		t.Helper()
		if viaTCP {
			if _, err := tc.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			return
		}
		ua, err := net.ResolveUDPAddr("udp", hostport)
		if err != nil {
			t.Fatalf("Contact %q: %v", contact, err)
		}
		msg = strings.Replace(msg, "SIP/2.0/TCP "+local, "SIP/2.0/UDP "+uc.LocalAddr().String(), 1)
		if _, err := uc.WriteTo([]byte(msg), ua); err != nil {
			t.Fatal(err)
		}
	}
	recv := func() string {
		t.Helper()
		if viaTCP {
			return readSIP(t, tc, tr)
		}
		buf := make([]byte, 8192)
		_ = uc.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := uc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no answer over UDP to a request sent to Contact %q: %v", contact, err)
		}
		return string(buf[:n])
	}
	send(request("ACK", "sip:"+target, to, 1, ""))
	send(request("BYE", "sip:"+target, to, 2, ""))
	res := recv()
	if !strings.HasPrefix(res, "SIP/2.0 200") {
		t.Fatalf("BYE sent to Contact %q answered:\n%s", contact, res)
	}
	bye := callee.expect("BYE ")
	callee.respond(bye, "200 OK", "", "", "")
	// The cause is not checked: sipgo handles the ACK and the BYE sent
	// right after it on separate goroutines, and a BYE handled first makes
	// the answer count as unacknowledged (CauseUnavailable).
	if end := waitRecord(t, ts, RecordEnd); end.Status != 200 {
		t.Fatalf("end record %+v, want an answered call", end)
	}
}
