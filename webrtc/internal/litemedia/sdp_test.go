package litemedia

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
)

func TestParseOfferRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, from, to string
		want           error
	}{
		{"no G.711", "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 126", "m=audio 9 UDP/TLS/RTP/SAVPF 126", ErrNoAudio},
		{"page wants to be DTLS server", "a=setup:actpass", "a=setup:passive", ErrBadOffer},
		{"no rtcp-mux", "a=rtcp-mux\r\n", "", ErrBadOffer},
		{"short password", "a=ice-pwd:pagepasswordpagepassword", "a=ice-pwd:short", ErrBadOffer},
		{"sha-1 fingerprint", "a=fingerprint:sha-256 ", "a=fingerprint:sha-1 ", ErrBadOffer},
		{"no fingerprint", "a=fingerprint:", "a=x-fingerprint:", ErrBadOffer},
		{"not SDP", "v=0", "garbage", ErrBadOffer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			offer := strings.Replace(minimalOffer, tc.from, tc.to, 1)
			if offer == minimalOffer {
				t.Fatal("test did not change the offer")
			}
			if _, err := parseOffer(offer); !errors.Is(err, tc.want) {
				t.Fatalf("parseOffer = %v, want %v", err, tc.want)
			}
		})
	}
}

// A PCMA-only offer gets PCMA; a video section is rejected with port 0
// and left out of BUNDLE; the answer is ice-lite and DTLS-passive.
func TestAnswer(t *testing.T) {
	offer := strings.Replace(minimalOffer, "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 126", "m=audio 9 UDP/TLS/RTP/SAVPF 8 126", 1)
	offer = strings.Replace(offer, "a=group:BUNDLE 0", "a=group:BUNDLE 0 1", 1)
	offer += "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=rtpmap:96 VP8/90000\r\n"
	o, err := parseOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := buildAnswer(o, local{ufrag: "u", pwd: "p", fingerprint: "AA", addr: netip.MustParseAddrPort("127.0.0.1:4000"), ssrc: 7})
	if err != nil {
		t.Fatal(err)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := sd.Attribute("ice-lite"); !ok {
		t.Fatal("answer is not ice-lite")
	}
	if g, _ := sd.Attribute("group"); g != "BUNDLE 0" {
		t.Fatalf("group %q", g)
	}
	if len(sd.MediaDescriptions) != 2 {
		t.Fatalf("%d m-lines", len(sd.MediaDescriptions))
	}
	audio, video := sd.MediaDescriptions[0], sd.MediaDescriptions[1]
	if f := audio.MediaName.Formats; len(f) != 2 || f[0] != "8" || f[1] != "126" {
		t.Fatalf("audio formats %v", f)
	}
	if s, _ := audio.Attribute("setup"); s != "passive" {
		t.Fatalf("setup %q", s)
	}
	if c, _ := audio.Attribute("candidate"); c != "1 1 udp 2130706431 127.0.0.1 4000 typ host" {
		t.Fatalf("candidate %q", c)
	}
	if video.MediaName.Port.Value != 0 {
		t.Fatal("video not rejected")
	}
}
