package sip

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/digest"
)

// regPair is two registrars in the same state: slow answers everything
// with the sipgo path, fast tries the fast path first and falls back to
// the sipgo path as the UDP reader does. Both share credentials, digest
// key, clock and To tag, so the same input must get the same answer.
type regPair struct {
	slow, fast *state
	src        netip.AddrPort
	now        time.Time
}

func newRegPair(t testing.TB) *regPair {
	t.Helper()
	p := &regPair{src: netip.MustParseAddrPort("192.0.2.7:5062"), now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return p.now }
	store := digest.NewMemoryStore(testDomain)
	store.AddPassword(testUser, testPassword)
	store.AddPassword("user0001", "pw-user0001")
	newState := func() *state {
		auth, err := digest.NewServer(digest.Config{Realm: testDomain, Credentials: store, Now: clock,
			Algorithms: []digest.Algorithm{digest.SHA256, digest.MD5}, Logger: slog.New(slog.DiscardHandler)},
			[]byte("0123456789abcdef0123456789abcdef-pair-key"))
		if err != nil {
			t.Fatal(err)
		}
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Domain: testDomain, Auth: auth, Now: clock, Logger: slog.New(slog.DiscardHandler),
			Limits: Limits{PerSourceRate: -1}, Registrar: RegistrarConfig{MaxBindings: 2}}
		st, err := s.newState(pc, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.ua.Close(); pc.Close() })
		return st
	}
	p.slow, p.fast = newState(), newState()
	p.fast.toTag = p.slow.toTag
	return p
}

// exchange gives data to both registrars. When the fast path answers, its
// response must be the sipgo path's; it returns the response and whether
// the fast path answered.
func (p *regPair) exchange(t testing.TB, data []byte) (string, bool) {
	t.Helper()
	slowRes, slowPass := p.slow.filterUDP(data, p.src)
	var buf bytes.Buffer
	if _, handled := p.fast.fastRegister(data, p.src, &buf); !handled {
		p.fast.filterUDP(data, p.src)
		if slowRes == nil {
			return "", false
		}
		return slowRes.String(), false
	}
	if slowRes == nil || slowPass {
		t.Fatalf("fast path answered a message the sipgo path does not (pass %v):\n%q\nfast: %q", slowPass, data, buf.String())
	}
	if diff := responseDiff(slowRes.String(), buf.String()); diff != "" {
		t.Fatalf("fast path answer differs: %s\nrequest: %q\nsipgo: %q\nfast:  %q", diff, data, slowRes.String(), buf.String())
	}
	return buf.String(), true
}

var nonceParam = regexp.MustCompile(`nonce="[^"]*"`)

// responseDiff compares two responses as sipgo reads them: status line,
// then every header in order by name and value (nonces masked: each
// challenge has a fresh one).
func responseDiff(want, got string) string {
	parse := func(s string) (*sipgosip.Response, error) {
		m, err := sipgosip.NewParser().ParseSIP([]byte(nonceParam.ReplaceAllString(s, `nonce="N"`)))
		if err != nil {
			return nil, err
		}
		res, ok := m.(*sipgosip.Response)
		if !ok {
			return nil, fmt.Errorf("not a response")
		}
		return res, nil
	}
	w, err := parse(want)
	if err != nil {
		return "sipgo path: " + err.Error()
	}
	g, err := parse(got)
	if err != nil {
		return "fast path: " + err.Error()
	}
	if w.StatusCode != g.StatusCode || w.Reason != g.Reason || w.SipVersion != g.SipVersion {
		return fmt.Sprintf("status %d %q, want %d %q", g.StatusCode, g.Reason, w.StatusCode, w.Reason)
	}
	wh, gh := w.Headers(), g.Headers()
	for i := range max(len(wh), len(gh)) {
		if i >= len(wh) || i >= len(gh) {
			return fmt.Sprintf("%d headers, want %d", len(gh), len(wh))
		}
		if wh[i].Name() != gh[i].Name() || wh[i].Value() != gh[i].Value() {
			return fmt.Sprintf("header %d: %s: %s, want %s: %s", i, gh[i].Name(), gh[i].Value(), wh[i].Name(), wh[i].Value())
		}
	}
	if len(w.Body()) != 0 || len(g.Body()) != 0 {
		return "unexpected body"
	}
	return ""
}

// regMsg is a REGISTER shaped like SIPp's (regbench); edit replaces
// substrings of it.
func regMsg(user string, cseq int, extra string, edit ...string) []byte {
	m := fmt.Sprintf("REGISTER sip:example.com SIP/2.0\r\n"+
		"Via: SIP/2.0/UDP 192.0.2.7:5062;branch=z9hG4bK-17-%d-0\r\n"+
		"Max-Forwards: 70\r\n"+
		"From: <sip:%s@example.com>;tag=17SIPpTag00%d\r\n"+
		"To: <sip:%s@example.com>\r\n"+
		"Call-ID: %d-17@192.0.2.7\r\n"+
		"CSeq: %d REGISTER\r\n"+
		"Contact: <sip:%s@192.0.2.7:5062>\r\n"+
		"Expires: 3600\r\n"+
		"%sContent-Length: 0\r\n\r\n", cseq, user, cseq, user, cseq%3, cseq, user, extra)
	for i := 0; i+1 < len(edit); i += 2 {
		m = strings.Replace(m, edit[i], edit[i+1], 1)
	}
	return []byte(m)
}

// authorize answers the challenges in res for user.
func authorize(t testing.TB, res, user, password string) string {
	t.Helper()
	dc := &digest.Client{Username: user, Password: password}
	return "Authorization: " + answerChallenges(t, dc, res, "WWW-Authenticate", "REGISTER", "sip:example.com") + "\r\n"
}

// answerChallenges answers, with dc, the digest challenges in the header
// lines named header of the response res, for method and uri.
func answerChallenges(t testing.TB, dc *digest.Client, res, header, method, uri string) string {
	t.Helper()
	var chals []string
	for _, line := range strings.Split(res, "\r\n") {
		if v, ok := strings.CutPrefix(line, header+": "); ok {
			chals = append(chals, v)
		}
	}
	authz, err := dc.Authorize(chals, method, uri, nil)
	if err != nil {
		t.Fatalf("answer %s challenges in %q: %v", header, res, err)
	}
	return authz
}

// TestFastRegisterMatchesSipgo runs REGISTER exchanges (challenge,
// success, retransmission, refresh, removal, errors, odd syntax) and the
// RFC 4475 corpus through both paths: whenever the fast path answers, its
// answer must be the sipgo path's, and the fast path must answer the
// common shapes.
func TestFastRegisterMatchesSipgo(t *testing.T) {
	p := newRegPair(t)
	mustFast := func(name string, data []byte, status string) string {
		t.Helper()
		res, fast := p.exchange(t, data)
		if !fast {
			t.Fatalf("%s: fast path declined %q", name, data)
		}
		if !strings.HasPrefix(res, "SIP/2.0 "+status) {
			t.Fatalf("%s: got %q, want %s", name, res, status)
		}
		return res
	}
	// The regbench shape: challenge, success, retransmission (replay of a
	// used nonce answered 200 from the binding), fresh challenge after it.
	chal := mustFast("challenge", regMsg("user0001", 1, ""), "401")
	authz := authorize(t, chal, "user0001", "pw-user0001")
	ok := regMsg("user0001", 2, authz)
	mustFast("success", ok, "200")
	mustFast("retransmission", ok, "200")
	p.now = p.now.Add(2 * time.Second)
	mustFast("refresh", regMsg("user0001", 3, authorize(t, mustFast("challenge 2", regMsg("user0001", 3, ""), "401"), "user0001", "pw-user0001")), "200")

	// Authenticated variations, each with a fresh challenge.
	cases := []struct {
		name, status string
		extra        string
		edit         []string
	}{
		{"second contact", "200", "", []string{"192.0.2.7:5062>", "192.0.2.8:5062>;expires=120"}},
		{"rport", "200", "", []string{";branch=", ";rport;branch="}},
		{"rport and received", "200", "", []string{";branch=", ";received=10.0.0.1;rport;branch="}},
		{"two vias", "200", "Via: SIP/2.0/TCP proxy.example.net:5060;branch=z9hG4bKp\r\n", nil},
		{"compact and lowercase", "200", "", []string{"From:", "f:", "To:", "t:", "Call-ID:", "i:", "Contact:", "m:", "Content-Length:", "l:", "CSeq:", "cseq:", "Via:", "VIA:"}},
		{"to tag", "200", "", []string{"To: <sip:user0001@example.com>", "To: <sip:user0001@example.com>;tag=abc"}},
		{"to host case", "200", "", []string{"To: <sip:user0001@example.com>", "To: <sip:user0001@EXAMPLE.com:5060>"}},
		{"no expires header", "200", "", []string{"Expires: 3600\r\n", ""}},
		{"long expiry capped", "200", "", []string{"Expires: 3600", "Expires: 99999"}},
		{"remove contact", "200", "", []string{"Expires: 3600", "Expires: 0"}},
		{"fetch bindings", "200", "", []string{"Contact: <sip:user0001@192.0.2.7:5062>\r\n", ""}},
		{"too brief", "423", "", []string{"Expires: 3600", "Expires: 10"}},
		{"bad expires", "400", "", []string{"Expires: 3600", "Expires: soon"}},
		{"bad contact expires", "400", "", []string{"192.0.2.7:5062>", "192.0.2.7:5062>;expires=x"}},
		{"other user's address", "403", "", []string{"To: <sip:user0001@", "To: <sip:alice@"}},
		{"other domain", "403", "", []string{"To: <sip:user0001@example.com>", "To: <sip:user0001@example.org>"}},
		{"user agent header", "200", "User-Agent: test/1.0\r\nAllow: INVITE, ACK\r\n", nil},
		{"too many bindings", "403", "", []string{"192.0.2.7:5062>", "192.0.2.9:5062>"}},
	}
	for i, c := range cases {
		cseq := 10 + i
		chal := mustFast(c.name+" challenge", regMsg("user0001", cseq, c.extra, c.edit...), "401")
		mustFast(c.name, regMsg("user0001", cseq, c.extra+authorize(t, chal, "user0001", "pw-user0001"), c.edit...), c.status)
	}

	// Unauthenticated failures.
	mustFast("unknown user", regMsg("nobody", 40, authorize(t, chal, "nobody", "x")), "401")
	mustFast("malformed credentials", regMsg("user0001", 41, "Authorization: Digest ???\r\n"), "400")
	p.now = p.now.Add(time.Hour)
	mustFast("stale nonce", regMsg("user0001", 42, authz), "401")
	for i := range 12 { // the tenth wrong password bans the source
		p.exchange(t, regMsg("alice", 50+i, authorize(t, chal, "alice", "wrong")))
	}

	// Shapes the fast path must leave to sipgo (answered or dropped alike).
	for _, m := range [][]byte{
		regMsg("user0001", 60, "", "Contact: <sip:user0001@192.0.2.7:5062>", "Contact: *"),
		regMsg("user0001", 61, "", "From: <", "From: \"User\" <"),
		regMsg("user0001", 62, "", "Max-Forwards: 70", "Max-Forwards: x"),
		regMsg("user0001", 63, "", "Content-Length: 0", "Content-Length: 5"),
		regMsg("user0001", 64, "Route: <sip:proxy>\r\n"),
		regMsg("user0001", 65, " folded\r\n"),
		regMsg("user0001", 66, "", "SIP/2.0\r\nVia", "SIP/3.0\r\nVia"),
		regMsg("user0001", 67, "", "CSeq: 67 REGISTER", "CSeq: 67 INVITE"),
		regMsg("user0001", 68, "", "Call-ID: 2-17@192.0.2.7\r\n", ""),
		regMsg("user0001", 69, "", "Contact: <sip:user0001@192.0.2.7:5062>", "Contact: <sip:a@h>, <sip:b@h>"),
		regMsg("user0001", 70, "Contact: <sip:user0001@192.0.2.8:5062>\r\n"),
		regMsg("user0001", 71, "Expires: 60\r\n"),
		regMsg("user0001", 72, "From: <sip:user0001@example.com>;tag=2\r\n"),
		regMsg("user0001", 73, "To: <sip:user0001@example.com>\r\n"),
		regMsg("user0001", 74, "CSeq: 74 REGISTER\r\n"),
		regMsg("user0001", 75, "Authorization: Digest a=b\r\nAuthorization: Digest c=d\r\n"),
		regMsg("user0001", 76, "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"),
		regMsg("user0001", 77, "", "Contact: <sip:user0001@192.0.2.7:5062>", "Contact: <sip:user0001@192.0.2.7:5062;transport=udp>"),
		regMsg("user0001", 78, "", "Contact: <sip:user0001@192.0.2.7:5062>", "Contact: <sip:us%65r@192.0.2.7:5062>"),
	} {
		if res, fast := p.exchange(t, m); fast {
			t.Errorf("fast path answered %q with %q", m, res)
		}
	}

	files, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p.exchange(t, data)
	}
}

// FuzzFastRegister: for any datagram the fast path either declines or
// answers exactly what the sipgo path answers.
func FuzzFastRegister(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(tortureDir, "*", "*.dat"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(regMsg("user0001", 1, ""))
	f.Add(regMsg("user0001", 2, "", ";branch=", ";rport;branch=", "From:", "f:", "To: <sip:user0001@example.com>", "To: <sip:user0001@example.com>;tag=x"))
	f.Add(regMsg("user0001", 3, "Via: SIP/2.0/TCP proxy.example.net:5060;branch=z9hG4bKp\r\n", "Expires: 3600", "Expires: 0"))
	f.Add(regMsg("user0001", 4, "Authorization: Digest username=\"user0001\", realm=\"example.com\", nonce=\"x\", uri=\"sip:example.com\", response=\"0\"\r\n"))
	p := newRegPair(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p.exchange(t, data)
	})
}

// BenchmarkRegisterPaths: one unauthenticated REGISTER (answered 401)
// through each path.
func BenchmarkRegisterPaths(b *testing.B) {
	p := newRegPair(b)
	data := regMsg("user0001", 1, "")
	b.Run("sipgo", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			res, _ := p.slow.filterUDP(data, p.src)
			buf.Reset()
			res.StringWrite(&buf)
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			p.fast.fastRegister(data, p.src, &buf)
		}
	})
}
