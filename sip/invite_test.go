package sip

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/digest"
)

const anonFrom = "sip:anonymous.abcdefghijklmnop@anonymous.invalid"

func inviteMsg(local net.Addr, from, ruri string, seq int, headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INVITE %s SIP/2.0\r\n", ruri)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bKinv%d%d;rport\r\n", local, seq, time.Now().UnixNano())
	fmt.Fprintf(&b, "From: <%s>;tag=caller%d\r\nTo: <%s>\r\n", from, seq, ruri)
	fmt.Fprintf(&b, "Call-ID: inv-%d@test\r\nCSeq: %d INVITE\r\nContact: <sip:caller@%s>\r\n", seq, seq, local)
	hasMF := false
	for _, h := range headers {
		hasMF = hasMF || strings.HasPrefix(h, "Max-Forwards")
		b.WriteString(h + "\r\n")
	}
	if !hasMF {
		b.WriteString("Max-Forwards: 70\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// finalResponse reads responses on c until a final one (>= 200).
func finalResponse(t *testing.T, c *net.UDPConn, msg string) string {
	t.Helper()
	res, err := exchangeOn(c, msg, 3*time.Second)
	buf := make([]byte, 65535)
	for err == nil {
		if st, _ := statusOf(res); !strings.HasPrefix(st, "1") {
			return res
		}
		_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
		var n int
		n, err = c.Read(buf)
		res = string(buf[:n])
	}
	t.Fatalf("no final response: %v", err)
	return ""
}

func dialServer(t *testing.T, ts *testServer) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, ts.udp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestServerInviteRejections(t *testing.T) {
	ts := startServer(t, nil)
	cases := []struct {
		name, from, ruri string
		headers          []string
		want             string
	}{
		{"max-forwards zero", anonFrom, "sip:bob@example.com", []string{"Max-Forwards: 0"}, "483"},
		{"in-domain caller is challenged", "sip:alice@example.com", "sip:bob@example.com", nil, "407 Proxy Authentication Required"},
		{"foreign caller not allowed", "sip:mallory@elsewhere.example.net", "sip:bob@example.com", nil, "403"},
		{"anonymous to tel", anonFrom, "tel:+15551234567", nil, "403 PSTN Not Allowed"},
		{"anonymous to third party", anonFrom, "sip:carol@thirdparty.example.net", nil, "403 Foreign Domain"},
		{"anonymous to ip literal", anonFrom, "sip:bob@127.0.0.1", nil, "403 Malformed Destination"},
		{"lookalike anonymous is not anonymous", "sip:anonymous.12345@anonymous.invalid", "sip:bob@example.com", nil, "403"},
		{"anonymous to unregistered user", anonFrom, "sip:bob@example.com", nil, "480"},
		{"in-dialog invite for unknown dialog", anonFrom, "sip:bob@example.com", []string{"X-Ignore: 1"}, "481"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialServer(t, ts)
			msg := inviteMsg(c.LocalAddr(), tc.from, tc.ruri, i+1, tc.headers...)
			if tc.want == "481" {
				msg = strings.Replace(msg, "To: <sip:bob@example.com>", "To: <sip:bob@example.com>;tag=nosuchdialog", 1)
			}
			res := finalResponse(t, c, msg)
			wantStatus(t, res, tc.want)
			if tc.want == "407 Proxy Authentication Required" && !strings.Contains(res, "Proxy-Authenticate: Digest ") {
				t.Fatalf("407 without Proxy-Authenticate:\n%s", res)
			}
		})
	}
	for _, r := range ts.Records() {
		if r.Event == RecordStart && r.Destination != "sip:bob@example.com" {
			t.Fatalf("a denied call reached routing: %+v", r)
		}
	}
}

func TestServerInviteAuthenticatedCaller(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Policy = &anon.Policy{Domains: []string{testDomain}, PSTNPrefixes: []string{"+1"}}
	})
	c := dialServer(t, ts)
	res := finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:alice@example.com", "tel:+15551234567", 1))
	wantStatus(t, res, "407")
	authz := answerChallenges(t, &digest.Client{Username: testUser, Password: testPassword}, res, "Proxy-Authenticate", "INVITE", "tel:+15551234567")
	// Authenticated callers may reach the PSTN within the prefixes; the
	// default router has no trunk, so the call ends in 404 after routing.
	res = finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:alice@example.com", "tel:+15551234567", 2, "Proxy-Authorization: "+authz))
	wantStatus(t, res, "404")
	start := waitRecord(t, ts, RecordStart)
	if start.Class != anon.Authenticated || start.Caller != "alice@example.com" || start.Destination != "tel:+15551234567" {
		t.Fatalf("start record %+v", start)
	}
	if end := waitRecord(t, ts, RecordEnd); end.Cause != CauseNoRoute || end.Status != 404 {
		t.Fatalf("end record %+v", end)
	}
}

func TestServerInviteSpoofedInDomainUser(t *testing.T) {
	ts := startServer(t, nil)
	c := dialServer(t, ts)
	// bob's From, alice's credentials: refused.
	res := finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:bob@example.com", "sip:alice@example.com", 1))
	wantStatus(t, res, "407")
	authz := answerChallenges(t, &digest.Client{Username: testUser, Password: testPassword}, res, "Proxy-Authenticate", "INVITE", "sip:alice@example.com")
	res = finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:bob@example.com", "sip:alice@example.com", 2, "Proxy-Authorization: "+authz))
	wantStatus(t, res, "403")
}

func TestServerInviteClassCap(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.Limits.MaxAnonymousCalls = -1 })
	c := dialServer(t, ts)
	wantStatus(t, finalResponse(t, c, inviteMsg(c.LocalAddr(), anonFrom, "sip:bob@example.com", 1)), "503")
}

func TestServerInviteUnauthenticatedAllowed(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowUnauthenticated = true })
	c := dialServer(t, ts)
	// Unauthenticated callers may reach third-party SIP, never the PSTN.
	wantStatus(t, finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:mallory@elsewhere.example.net", "tel:+15551234567", 1)), "403 PSTN Not Allowed")
	wantStatus(t, finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:mallory@elsewhere.example.net", "sip:carol@thirdparty.example.net", 2)), "404")
	if start := waitRecord(t, ts, RecordStart); start.Class != anon.Unauthenticated {
		t.Fatalf("start record %+v", start)
	}
}

func TestServerUnknownMethods(t *testing.T) {
	ts := startServer(t, nil)
	c := dialServer(t, ts)
	for method, want := range map[string]string{"FOO": "501", "SUBSCRIBE": "405"} {
		msg := strings.ReplaceAll(optionsMsg(c.LocalAddr(), "m"+method), "OPTIONS", method)
		res, err := exchangeOn(c, msg, 2*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		wantStatus(t, res, want)
		if !strings.Contains(res, "Allow: ") {
			t.Fatalf("%s answer lacks Allow:\n%s", method, res)
		}
	}
}

func TestServerInviteLoopDetected(t *testing.T) {
	ts := startServer(t, nil)
	bindBob(t, ts, ts.udp.Port) // bob "registered" at the server itself
	c := dialServer(t, ts)
	wantStatus(t, finalResponse(t, c, inviteMsg(c.LocalAddr(), anonFrom, "sip:bob@example.com", 1)), "482")
}

// TestServerInviteLoopDetectedNextHop: bob's contact names another host,
// but the binding's source, where the call would really go, is the server.
func TestServerInviteLoopDetectedNextHop(t *testing.T) {
	ts := startServer(t, nil)
	now := time.Now()
	_, err := ts.srv.st.Load().locations.Update(context.Background(), "bob@"+testDomain, now,
		[]Binding{{Contact: "sip:bob@192.0.2.1:5060", Expires: now.Add(time.Hour), Source: "udp:127.0.0.1:" + strconv.Itoa(ts.udp.Port)}}, nil, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := dialServer(t, ts)
	wantStatus(t, finalResponse(t, c, inviteMsg(c.LocalAddr(), anonFrom, "sip:bob@example.com", 1)), "482")
}
