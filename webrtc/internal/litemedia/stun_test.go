package litemedia

import (
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/stun/v4"
)

// minimalOffer is a JSEP offer with the fields the transport reads.
const minimalOffer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 0 8 126\r\nc=IN IP4 0.0.0.0\r\n" +
	"a=mid:0\r\na=ice-ufrag:pageufrag\r\na=ice-pwd:pagepasswordpagepassword\r\n" +
	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
	"a=setup:actpass\r\na=rtcp-mux\r\na=sendrecv\r\n" +
	"a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:126 telephone-event/8000\r\n"

// checker sends connectivity checks to a transport from its own socket.
type checker struct {
	conn *net.UDPConn
	tr   *Transport
	user string        // USERNAME to send
	pwd  string        // password to sign with
	wait time.Duration // how long to wait for an answer
}

func newChecker(t *testing.T, tr *Transport) *checker {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &checker{conn: conn, tr: tr, user: tr.ice.usernameString(), pwd: tr.icePwd, wait: 10 * time.Second}
}

func (c *checker) addr() netip.AddrPort { return c.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// check sends one Binding request and reports whether a verified success
// response came back within a short wait.
func (c *checker) check(t *testing.T, useCandidate bool) bool {
	t.Helper()
	setters := []stun.Setter{stun.TransactionID, stun.BindingRequest, stun.NewUsername(c.user)}
	if useCandidate {
		setters = append(setters, stun.RawAttribute{Type: stun.AttrUseCandidate})
	}
	setters = append(setters, stun.NewShortTermIntegrity(c.pwd), stun.Fingerprint)
	m, err := stun.Build(setters...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.conn.WriteToUDPAddrPort(m.Raw, c.tr.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	// A refused check gets no answer at all; the deadline is how the
	// test observes silence, not a timing assertion.
	_ = c.conn.SetReadDeadline(time.Now().Add(c.wait))
	buf := make([]byte, 1500)
	n, err := c.conn.Read(buf)
	if err != nil {
		return false
	}
	resp := &stun.Message{Raw: buf[:n]}
	if resp.Decode() != nil || resp.Type != stun.BindingSuccess || resp.TransactionID != m.TransactionID {
		t.Fatalf("bad response %v", resp)
	}
	if err := stun.NewShortTermIntegrity(c.tr.icePwd).Check(resp); err != nil {
		t.Fatalf("response integrity: %v", err)
	}
	var mapped stun.XORMappedAddress
	if err := mapped.GetFrom(resp); err != nil || mapped.Port != int(c.addr().Port()) {
		t.Fatalf("XOR-MAPPED-ADDRESS %v (%v), want %v", mapped, err, c.addr())
	}
	return true
}

func TestSTUNChecksAndLatching(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	tr, err := New(minimalOffer, Config{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	a, b := newChecker(t, tr), newChecker(t, tr)

	bad := *a
	bad.wait = 300 * time.Millisecond
	bad.pwd = "not-the-password-at-all-x"
	if bad.check(t, true) {
		t.Fatal("check signed with the wrong password was answered")
	}
	bad = *a
	bad.wait = 300 * time.Millisecond
	bad.user = tr.ice.usernameString() + "x"
	if bad.check(t, true) {
		t.Fatal("check with the wrong username was answered")
	}
	if _, ok := tr.Remote(); ok || !tr.LastConsent().IsZero() {
		t.Fatal("unauthenticated checks latched an address")
	}

	if !a.check(t, false) {
		t.Fatal("valid check not answered")
	}
	if r, _ := tr.Remote(); r != a.addr() {
		t.Fatalf("latched %v, want %v", r, a.addr())
	}
	if !tr.LastConsent().Equal(now()) {
		t.Fatalf("consent %v, want %v", tr.LastConsent(), now())
	}
	first := now()

	// Another address, valid but not nominated: answered, no move, and
	// no consent for the latched pair.
	clock.Add(int64(time.Second))
	if !b.check(t, false) {
		t.Fatal("valid check from b not answered")
	}
	if r, _ := tr.Remote(); r != a.addr() {
		t.Fatalf("moved to %v without nomination", r)
	}
	if !tr.LastConsent().Equal(first) {
		t.Fatal("a check on another pair refreshed consent")
	}

	// Nominated: re-latch.
	clock.Add(int64(time.Second))
	if !b.check(t, true) {
		t.Fatal("nominating check from b not answered")
	}
	if r, _ := tr.Remote(); r != b.addr() {
		t.Fatalf("latched %v, want %v after USE-CANDIDATE", r, b.addr())
	}
	if !tr.LastConsent().Equal(now()) {
		t.Fatal("re-latch did not record consent")
	}

	// Consent freshness follows later checks on the latched pair.
	clock.Add(int64(5 * time.Second))
	if !b.check(t, false) || !tr.LastConsent().Equal(now()) {
		t.Fatal("keepalive check did not refresh consent")
	}
}
