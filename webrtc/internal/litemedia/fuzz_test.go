package litemedia

import (
	"net/netip"
	"testing"

	"github.com/pion/stun/v4"
)

// FuzzParseOffer: any offer either fails with a typed error or yields an
// answer that pion/sdp can parse back.
func FuzzParseOffer(f *testing.F) {
	f.Add(minimalOffer)
	f.Add(minimalOffer + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:1\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := parseOffer(raw)
		if err != nil {
			return
		}
		if _, err := buildAnswer(o, local{ufrag: "u", pwd: "p", fingerprint: "AA", addr: netip.MustParseAddrPort("127.0.0.1:1")}); err != nil {
			t.Fatalf("answer for accepted offer: %v", err)
		}
	})
}

// FuzzSTUNCheck: arbitrary datagrams never panic the check, and nothing
// without our password is accepted.
func FuzzSTUNCheck(f *testing.F) {
	valid, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.NewUsername("us:them"),
		stun.NewShortTermIntegrity("ourpasswordourpassword"), stun.Fingerprint)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid.Raw)
	f.Add([]byte{0, 1, 0, 0})
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		ic := newICELite("us", "them", "ourpasswordourpassword")
		ok, _ := ic.check(pkt, from)
		other := newICELite("us", "them", "someoneelsespassword00")
		if ok2, _ := other.check(pkt, from); ok && ok2 {
			t.Fatal("one packet verified under two passwords")
		}
	})
}
