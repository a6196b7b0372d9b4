package leanpage

import (
	"net/netip"
	"testing"
)

// FuzzParseAnswer: no answer makes the parser panic, and an accepted one
// has everything the client needs.
func FuzzParseAnswer(f *testing.F) {
	f.Add("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n" +
		"a=ice-ufrag:u\r\na=ice-pwd:pppppppppppppppppppppp\r\na=fingerprint:sha-256 " +
		"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
		"a=setup:passive\r\na=candidate:1 1 udp 1 127.0.0.1 4000 typ host\r\n")
	f.Add("v=0\r\n")
	v4 := netip.MustParseAddr("127.0.0.1")
	f.Fuzz(func(t *testing.T, raw string) {
		a, err := parseAnswer(raw, v4)
		if err != nil {
			return
		}
		if a.ufrag == "" || a.pwd == "" || len(a.fingerprints) == 0 || !a.candidate.IsValid() || !a.candidate.Addr().Is4() {
			t.Fatalf("accepted an incomplete answer: %+v", a)
		}
	})
}
