package leanpage

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/stun/v4"
)

// TestICEAgent plays the gateway's side of the STUN exchange by hand.
func TestICEAgent(t *testing.T) {
	const lu, lp, ru, rp = "pageufrag", "pagepassword0123456789", "gwufrag", "gatewaypassword0123456789"
	a := newICEAgent(lu, lp, ru, rp)
	gw := netip.MustParseAddrPort("127.0.0.1:5000")
	page := netip.MustParseAddrPort("127.0.0.1:6000")

	raw, err := a.check(true)
	if err != nil {
		t.Fatal(err)
	}
	var req stun.Message
	req.Raw = append([]byte(nil), raw...)
	if err := req.Decode(); err != nil {
		t.Fatal(err)
	}
	user, _ := req.Get(stun.AttrUsername)
	if string(user) != ru+":"+lu || !req.Contains(stun.AttrUseCandidate) || !req.Contains(stun.AttrICEControlling) ||
		!req.Contains(stun.AttrPriority) {
		t.Fatalf("check %v", &req)
	}
	if err := stun.NewShortTermIntegrity(rp).Check(&req); err != nil {
		t.Fatalf("check not signed with the gateway's password: %v", err)
	}
	respond := func(id [stun.TransactionIDSize]byte, pwd string) []byte {
		m, err := stun.Build(stun.NewTransactionIDSetter(id), stun.BindingSuccess,
			&stun.XORMappedAddress{IP: page.Addr().AsSlice(), Port: int(page.Port())},
			stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		return m.Raw
	}
	if _, ok := a.onSTUN(respond(req.TransactionID, lp), gw); ok {
		t.Fatal("accepted a response signed with the wrong password")
	}
	if _, ok := a.onSTUN(respond([stun.TransactionIDSize]byte{1}, rp), gw); ok {
		t.Fatal("accepted a response to a check never sent")
	}
	if _, ok := a.onSTUN(respond(req.TransactionID, rp), gw); !ok {
		t.Fatal("refused a valid response")
	}
	if _, ok := a.onSTUN(respond(req.TransactionID, rp), gw); ok {
		t.Fatal("accepted the same response twice")
	}

	// The gateway's own check (pion engine) is answered, signed with the
	// page's password; one with another USERNAME or key is not.
	check := func(user, pwd string) []byte {
		m, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername(user),
			stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		return m.Raw
	}
	if reply, _ := a.onSTUN(check("other:"+ru, lp), gw); reply != nil {
		t.Fatal("answered a check for another ufrag")
	}
	if reply, _ := a.onSTUN(check(lu+":"+ru, rp), gw); reply != nil {
		t.Fatal("answered a check signed with the wrong password")
	}
	reply, _ := a.onSTUN(check(lu+":"+ru, lp), gw)
	if reply == nil {
		t.Fatal("valid check not answered")
	}
	var resp stun.Message
	resp.Raw = append([]byte(nil), reply...)
	if err := resp.Decode(); err != nil || resp.Type != stun.BindingSuccess {
		t.Fatalf("reply %v: %v", &resp, err)
	}
	if err := stun.NewShortTermIntegrity(lp).Check(&resp); err != nil {
		t.Fatalf("reply integrity: %v", err)
	}
	var mapped stun.XORMappedAddress
	if err := mapped.GetFrom(&resp); err != nil || mapped.Port != int(gw.Port()) || !strings.HasPrefix(mapped.IP.String(), "127.0.0.1") {
		t.Fatalf("mapped %v: %v", mapped, err)
	}
}

func TestParseAnswer(t *testing.T) {
	cert, err := GenerateCertificate()
	if err != nil {
		t.Fatal(err)
	}
	base := func(setup string, candidates ...string) string {
		s := "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
			"m=audio 9 UDP/TLS/RTP/SAVPF 8 101\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
			"a=ice-ufrag:u\r\na=ice-pwd:pppppppppppppppppppppp\r\na=fingerprint:sha-256 " + cert.Fingerprint() + "\r\n" +
			"a=setup:" + setup + "\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
		for _, c := range candidates {
			s += "a=candidate:" + c + "\r\n"
		}
		return s
	}
	v4 := netip.MustParseAddr("127.0.0.1")
	a, err := parseAnswer(base("passive", "1 1 udp 1 10.0.0.1 1000 typ host", "2 1 udp 1 ::1 2000 typ host",
		"3 1 udp 1 127.0.0.1 3000 typ host", "4 1 udp 1 127.0.0.2 4000 typ srflx raddr 0.0.0.0 rport 0"), v4)
	if err != nil {
		t.Fatal(err)
	}
	if a.candidate.String() != "127.0.0.1:3000" || !a.dtlsClient || a.audioPT != 8 || a.eventPT != 101 || a.lite {
		t.Fatalf("%+v", a)
	}
	if a, err := parseAnswer(base("active", "1 1 udp 1 10.0.0.1 1000 typ host"), v4); err != nil || a.dtlsClient || a.candidate.Port() != 1000 {
		t.Fatalf("%+v %v", a, err)
	}
	for name, sdp := range map[string]string{
		"actpass answer": base("actpass", "1 1 udp 1 127.0.0.1 1 typ host"),
		"no candidate":   base("passive"),
		"only ipv6":      base("passive", "1 1 udp 1 ::1 1 typ host"),
		"no fingerprint": strings.Replace(base("passive", "1 1 udp 1 127.0.0.1 1 typ host"), "a=fingerprint", "a=x", 1),
		"md5":            strings.Replace(base("passive", "1 1 udp 1 127.0.0.1 1 typ host"), "sha-256", "md5", 1),
		"not sdp":        "hello",
	} {
		if _, err := parseAnswer(sdp, v4); err == nil || !errors.Is(err, ErrBadAnswer) {
			t.Errorf("%s: %v, want ErrBadAnswer", name, err)
		}
	}
}
