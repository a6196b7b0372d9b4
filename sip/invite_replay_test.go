package sip

import (
	"strings"
	"testing"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/digest"
)

// TestServerInviteReplayOtherViaIsChallenged replays an authenticated
// caller's INVITE byte for byte except for the Via sent-by (as anyone who
// saw it on the wire could, from their own address). Over UDP the read
// filter admitted the original INVITE and kept its admission by Call-ID and
// branch for the handler; the replay has the same Call-ID and branch but,
// with another sent-by, is a new server transaction for sipgo, so it reaches
// the handler too. It must be refused (482, a copy of a handled INVITE),
// not bridged as the authenticated caller a second time.
func TestServerInviteReplayOtherViaIsChallenged(t *testing.T) {
	ts := startServer(t, func(s *Server) {
		s.Policy = &anon.Policy{Domains: []string{testDomain}, PSTNPrefixes: []string{"+1"}}
	})
	c := dialServer(t, ts)
	const target = "tel:+15551234567"
	res := finalResponse(t, c, inviteMsg(c.LocalAddr(), "sip:alice@example.com", target, 1))
	wantStatus(t, res, "407")
	authz := answerChallenges(t, &digest.Client{Username: testUser, Password: testPassword}, res, "Proxy-Authenticate", "INVITE", target)
	original := inviteMsg(c.LocalAddr(), "sip:alice@example.com", target, 2, "Proxy-Authorization: "+authz)
	wantStatus(t, finalResponse(t, c, original), "404") // routed: no trunk
	waitRecord(t, ts, RecordEnd)

	attacker := dialServer(t, ts)
	replay := strings.Replace(original, "SIP/2.0/UDP "+c.LocalAddr().String(), "SIP/2.0/UDP "+attacker.LocalAddr().String(), 1)
	if replay == original {
		t.Fatal("test bug: Via not rewritten")
	}
	res = finalResponse(t, attacker, replay)
	if starts := ts.countRecords(RecordStart); starts != 1 {
		t.Fatalf("replayed INVITE was routed as the authenticated caller (%d start records); answer:\n%s", starts, res)
	}
	wantStatus(t, res, "482")
}

// TestServerInviteInDomainFromTrailingDot: "example.com." is the same DNS
// name as "example.com", and a callee shows the From user either way. With
// AllowUnauthenticated, a From in the domain written with a trailing dot
// must still be challenged, not pass as an unauthenticated caller whose
// From (alice's) the B2BUA then sends on unverified.
func TestServerInviteInDomainFromTrailingDot(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowUnauthenticated = true })
	c := dialServer(t, ts)
	for i, from := range []string{"sip:alice@example.com.", "sip:alice@EXAMPLE.COM."} {
		res := finalResponse(t, c, inviteMsg(c.LocalAddr(), from, "sip:bob@example.com", i+1))
		wantStatus(t, res, "407")
	}
	if rs := ts.Records(); len(rs) != 0 {
		t.Fatalf("an unverified in-domain From reached routing: %+v", rs)
	}
}
