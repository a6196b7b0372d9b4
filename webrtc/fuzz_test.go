package webrtc

import (
	"net/netip"
	"testing"
)

// FuzzParseSIPAnswer feeds hostile SDP from the SIP side: it must never
// panic, and whatever it accepts must name a usable address and the codec
// that was offered.
func FuzzParseSIPAnswer(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"), uint8(0))
	f.Add([]byte("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\nc=IN IP6 ::1\r\na=inactive\r\n"), uint8(8))
	f.Add([]byte("v=0\r\nm=audio 99999 RTP/AVP 0\r\n"), uint8(0))
	f.Fuzz(func(t *testing.T, raw []byte, codec uint8) {
		codec = []uint8{ptPCMU, ptPCMA}[codec&1]
		m, err := parseSIPAnswer(raw, codec)
		if err != nil {
			return
		}
		if !m.Remote.Addr().IsValid() || m.CodecPT > 127 || (m.EventPT != ptNone && m.EventPT > 127) {
			t.Fatalf("accepted unusable media %+v", m)
		}
	})
}

// FuzzPickCodec feeds hostile page offers to the codec choice.
func FuzzPickCodec(f *testing.F) {
	f.Add("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n")
	f.Add("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 PCMA/8000\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		pt, err := pickCodec(offer)
		if err == nil && pt != ptPCMU && pt != ptPCMA {
			t.Fatalf("picked %d", pt)
		}
	})
}

// FuzzRelayPacket runs hostile RTP through both relay directions' header
// handling: no panic, and a forwarded packet is well-formed RTP.
func FuzzRelayPacket(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xff, 0xff})
	f.Add([]byte{0x90, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 9})
	f.Add([]byte{0xa1, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4, 5, 6, 7, 8, 9, 2})
	f.Fuzz(func(t *testing.T, pkt []byte) {
		hl := rtpHeaderLen(pkt)
		if hl == 0 {
			return
		}
		if hl < 12 || hl > len(pkt) {
			t.Fatalf("header length %d of %d", hl, len(pkt))
		}
		end := rtpPayloadEnd(pkt, hl)
		if end != -1 && (end < hl || end > len(pkt)) {
			t.Fatalf("payload end %d, header %d, len %d", end, hl, len(pkt))
		}
	})
}

func TestBuildSIPOfferRoundTrip(t *testing.T) {
	for _, pt := range []uint8{ptPCMU, ptPCMA} {
		for _, addr := range []string{"127.0.0.1", "::1"} {
			a := netip.MustParseAddr(addr)
			offer := buildSIPOffer(a, 40000, pt, 1)
			m, err := parseSIPAnswer(offer, pt)
			if err != nil {
				t.Fatalf("%s: %v\n%s", addr, err, offer)
			}
			if m.Remote != netip.AddrPortFrom(a, 40000) || m.CodecPT != pt || m.EventPT != ptTelephoneEvent {
				t.Fatalf("%+v", m)
			}
		}
	}
}
