package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/webdial/webdial/digest"
)

// regClient speaks REGISTER from one UDP socket, answering 401s with the
// digest client.
type regClient struct {
	t      *testing.T
	c      *net.UDPConn
	cseq   int
	callID string
	dc     *digest.Client
}

func newRegClient(t *testing.T, ts *testServer, user, password string) *regClient {
	t.Helper()
	c, err := net.DialUDP("udp", nil, ts.udp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &regClient{t: t, c: c, callID: fmt.Sprintf("reg-%d@test", time.Now().UnixNano()),
		dc: &digest.Client{Username: user, Password: password}}
}

func (r *regClient) msg(user string, headers ...string) string {
	r.cseq++
	var b strings.Builder
	fmt.Fprintf(&b, "REGISTER sip:%s SIP/2.0\r\n", testDomain)
	fmt.Fprintf(&b, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%d%d\r\n", r.c.LocalAddr(), r.cseq, time.Now().UnixNano())
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: <sip:%s@%s>;tag=f%d\r\nTo: <sip:%s@%s>\r\n", user, testDomain, r.cseq, user, testDomain)
	fmt.Fprintf(&b, "Call-ID: %s\r\nCSeq: %d REGISTER\r\n", r.callID, r.cseq)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.String()
}

// send sends a REGISTER for user; on 401 it answers the challenge once.
func (r *regClient) send(user string, headers ...string) string {
	r.t.Helper()
	res, err := exchangeOn(r.c, r.msg(user, headers...), 2*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	if st, _ := statusOf(res); !strings.HasPrefix(st, "401") {
		return res
	}
	authz := answerChallenges(r.t, r.dc, res, "WWW-Authenticate", "REGISTER", "sip:"+testDomain)
	res, err = exchangeOn(r.c, r.msg(user, append(headers, "Authorization: "+authz)...), 2*time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

func wantStatus(t *testing.T, res, prefix string) {
	t.Helper()
	st, err := statusOf(res)
	if err != nil || !strings.HasPrefix(st, prefix) {
		t.Fatalf("got %q, want %s\n%s", st, prefix, res)
	}
}

func (ts *testServer) bindings(t *testing.T, user string) []Binding {
	t.Helper()
	bs, err := ts.srv.st.Load().locations.Lookup(context.Background(), user+"@"+testDomain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return bs
}

func TestRegistrarBindingsLifecycle(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.Registrar.MaxBindings = 2 })
	r := newRegClient(t, ts, testUser, testPassword)

	res := r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>", "Expires: 600")
	wantStatus(t, res, "200")
	if !strings.Contains(res, "Contact: <sip:alice@192.0.2.1:5060>;expires=600") {
		t.Fatalf("200 lacks the binding:\n%s", res)
	}
	res = r.send(testUser, "Contact: <sip:alice@192.0.2.2:5060>;expires=7000")
	wantStatus(t, res, "200")
	if !strings.Contains(res, "192.0.2.2:5060>;expires=7000") {
		t.Fatalf("per-contact expires not honoured:\n%s", res)
	}
	// A third contact exceeds MaxBindings.
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.3:5060>"), "403")
	if n := len(ts.bindings(t, testUser)); n != 2 {
		t.Fatalf("%d bindings after refused third, want 2", n)
	}
	// Too brief.
	res = r.send(testUser, "Contact: <sip:alice@192.0.2.3:5060>", "Expires: 10")
	wantStatus(t, res, "423")
	if !strings.Contains(res, "Min-Expires: 60") {
		t.Fatalf("423 without Min-Expires:\n%s", res)
	}
	// Query (no Contact) lists both.
	res = r.send(testUser)
	wantStatus(t, res, "200")
	if strings.Count(res, "Contact: ") != 2 {
		t.Fatalf("query lists %d contacts, want 2:\n%s", strings.Count(res, "Contact: "), res)
	}
	// Unregister one with Expires: 0.
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>", "Expires: 0"), "200")
	if bs := ts.bindings(t, testUser); len(bs) != 1 || !strings.Contains(bs[0].Contact, "192.0.2.2") {
		t.Fatalf("bindings after unregister %v", bs)
	}
	// Wildcard needs Expires: 0.
	wantStatus(t, r.send(testUser, "Contact: *", "Expires: 5"), "400")
	wantStatus(t, r.send(testUser, "Contact: *", "Expires: 0"), "200")
	if bs := ts.bindings(t, testUser); len(bs) != 0 {
		t.Fatalf("bindings after Contact: * %v", bs)
	}
}

func TestRegistrarOnlyOwnAOR(t *testing.T) {
	ts := startServer(t, nil)
	r := newRegClient(t, ts, testUser, testPassword)
	// alice's credentials for bob's address of record.
	wantStatus(t, r.send("bob", "Contact: <sip:evil@192.0.2.66:5060>"), "403")
	if bs := ts.bindings(t, "bob"); len(bs) != 0 {
		t.Fatalf("alice bound bob: %v", bs)
	}
}

func TestRegistrarNoAuthConfigured(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.Auth = nil })
	r := newRegClient(t, ts, testUser, testPassword)
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), "403")
}

func TestRegistrarBanAfterAuthFailures(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.Limits.MaxAuthFailures = 3 })
	r := newRegClient(t, ts, testUser, "wrong")
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), "401")
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), "401")
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), "403")
	// Banned: even the right password from this address is now dropped.
	good := newRegClient(t, ts, testUser, testPassword)
	if _, err := exchangeOn(good.c, good.msg(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), 300*time.Millisecond); err == nil {
		t.Fatal("banned source still answered")
	}
}

func TestLimitsBanExpires(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	g := newSourceGuard(Limits{MaxAuthFailures: 2, BanDuration: time.Minute, PerSourceRate: -1}.withDefaults(), clock)
	ip := netipMust("192.0.2.9")
	if g.authFailed(ip) || !g.authFailed(ip) {
		t.Fatal("want ban on second failure")
	}
	if g.allow(ip) {
		t.Fatal("banned source allowed")
	}
	now = now.Add(61 * time.Second)
	if !g.allow(ip) {
		t.Fatal("ban did not expire")
	}
}

func TestLimitsRateAndBoundedSources(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	g := newSourceGuard(Limits{PerSourceRate: 1, PerSourceBurst: 2, MaxSources: 100}.withDefaults(), func() time.Time { return now })
	ip := netipMust("192.0.2.10")
	if !g.allow(ip) || !g.allow(ip) || g.allow(ip) {
		t.Fatal("burst of 2 then drop expected")
	}
	now = now.Add(time.Second)
	if !g.allow(ip) {
		t.Fatal("token not refilled after 1 s")
	}
	for i := range 1000 {
		g.allow(netipMust(fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)))
	}
	if n := g.size(); n > 100 {
		t.Fatalf("guard remembers %d sources, cap 100", n)
	}
}

func TestLimitsCallCaps(t *testing.T) {
	c := newCallCounter(Limits{MaxCalls: 3, MaxCallsPerSource: 2, MaxAnonymousCalls: 1, MaxUnauthenticatedCalls: -1}.withDefaults())
	a, b := netipMust("192.0.2.1"), netipMust("192.0.2.2")
	if !c.acquire(a, 1) || c.acquire(b, 1) {
		t.Fatal("anonymous class cap 1")
	}
	if c.acquire(a, 2) {
		t.Fatal("unauthenticated class disabled")
	}
	if !c.acquire(a, 3) || c.acquire(a, 3) {
		t.Fatal("per-source cap 2")
	}
	if !c.acquire(b, 3) || c.acquire(b, 3) {
		t.Fatal("global cap 3")
	}
	c.release(a, 1)
	c.release(a, 3)
	c.release(b, 3)
	if c.active() != 0 {
		t.Fatalf("active %d after releases", c.active())
	}
}

// TestRegistrarRetransmissionIsNotReapplied: the exact authenticated
// REGISTER sent again (a retransmission after a lost 200, or a replay)
// changes nothing; within 64*T1 it is answered 200 from the stored binding,
// later with 401 stale=true. A tampered copy (other Contact, same
// credentials) binds nothing either.
func TestRegistrarRetransmissionIsNotReapplied(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ts := startServer(t, func(s *Server) { s.Now = clock })
	r := newRegClient(t, ts, testUser, testPassword)

	// First leg by hand so the authorized message can be resent.
	res, err := exchangeOn(r.c, r.msg(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	authz := answerChallenges(t, r.dc, res, "WWW-Authenticate", "REGISTER", "sip:"+testDomain)
	authed := r.msg(testUser, "Contact: <sip:alice@192.0.2.1:5060>", "Authorization: "+authz)
	res, _ = exchangeOn(r.c, authed, 2*time.Second)
	wantStatus(t, res, "200")
	before := ts.bindings(t, testUser)

	mu.Lock()
	now = now.Add(10 * time.Second)
	mu.Unlock()
	res, _ = exchangeOn(r.c, authed, 2*time.Second)
	wantStatus(t, res, "200")
	tampered := strings.Replace(authed, "192.0.2.1:5060", "198.51.100.66:5060", 1)
	res, _ = exchangeOn(r.c, tampered, 2*time.Second)
	wantStatus(t, res, "200")
	after := ts.bindings(t, testUser)
	if len(after) != 1 || after[0] != before[0] {
		t.Fatalf("retransmission changed bindings:\nbefore %+v\nafter  %+v", before, after)
	}

	mu.Lock()
	now = now.Add(retransmitWindow)
	mu.Unlock()
	res, _ = exchangeOn(r.c, authed, 2*time.Second)
	if st, _ := statusOf(res); !strings.HasPrefix(st, "401") || !strings.Contains(res, "stale=true") {
		t.Fatalf("replay after the retransmission window answered:\n%s", res)
	}
}

// TestRegistrarRetransmissionAfterNewerRegister: the binding has since
// been refreshed by a newer REGISTER (other CSeq), so only the reply cache
// can recognise the late retransmission of the older one.
func TestRegistrarRetransmissionAfterNewerRegister(t *testing.T) {
	ts := startServer(t, nil)
	r := newRegClient(t, ts, testUser, testPassword)
	res, err := exchangeOn(r.c, r.msg(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	authz := answerChallenges(t, r.dc, res, "WWW-Authenticate", "REGISTER", "sip:"+testDomain)
	authed := r.msg(testUser, "Contact: <sip:alice@192.0.2.1:5060>", "Authorization: "+authz)
	first, _ := exchangeOn(r.c, authed, 2*time.Second)
	wantStatus(t, first, "200")
	wantStatus(t, r.send(testUser, "Contact: <sip:alice@192.0.2.1:5060>"), "200") // newer CSeq
	again, _ := exchangeOn(r.c, authed, 2*time.Second)
	if again != first {
		t.Fatalf("retransmission answered\n%s\nwant the original 200\n%s", again, first)
	}
}
