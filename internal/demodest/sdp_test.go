package demodest

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseOffer(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	for _, tc := range []struct {
		name, sdp   string
		codec       string
		pt, dtmfPT  int
		port        uint16
		wantErr     bool
		mediaIPWant string
	}{
		{name: "chromium order", sdp: head + "m=audio 5000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n", codec: "PCMA", pt: 8, dtmfPT: 101, port: 5000},
		{name: "dynamic dtmf pt", sdp: head + "m=audio 5002 RTP/AVP 0 126\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n", codec: "PCMU", pt: 0, dtmfPT: 126, port: 5002},
		{name: "no dtmf", sdp: head + "m=audio 5004 RTP/AVP 0\r\n", codec: "PCMU", pt: 0, dtmfPT: -1, port: 5004},
		{name: "48k telephone-event ignored", sdp: head + "m=audio 5004 RTP/AVP 0 110\r\na=rtpmap:110 telephone-event/48000\r\n", codec: "PCMU", pt: 0, dtmfPT: -1, port: 5004},
		{name: "media c= wins", sdp: head + "m=audio 5006 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\n", codec: "PCMU", pt: 0, dtmfPT: -1, port: 5006, mediaIPWant: "127.0.0.2"},
		{name: "opus only", sdp: head + "m=audio 5000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n", wantErr: true},
		{name: "srtp", sdp: head + "m=audio 5000 RTP/SAVP 0\r\n", wantErr: true},
		{name: "no audio", sdp: head + "m=video 5000 RTP/AVP 96\r\n", wantErr: true},
		{name: "port zero", sdp: head + "m=audio 0 RTP/AVP 0\r\n", wantErr: true},
		{name: "no address", sdp: "v=0\r\nm=audio 5000 RTP/AVP 0\r\n", wantErr: true},
		{name: "huge", sdp: head + strings.Repeat("a=x\r\n", 5000), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOffer([]byte(tc.sdp))
			if tc.wantErr {
				if !errors.Is(err, ErrSDP) {
					t.Fatalf("err = %v, want ErrSDP", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dtmf := -1
			if o.hasDTMF {
				dtmf = o.dtmfPT
			}
			if o.codec.name != tc.codec || int(o.codec.payloadType) != tc.pt || dtmf != tc.dtmfPT || o.remote.Port() != tc.port {
				t.Fatalf("got %s/%d dtmf %d port %d", o.codec.name, o.codec.payloadType, dtmf, o.remote.Port())
			}
			if tc.mediaIPWant != "" && o.remote.Addr().String() != tc.mediaIPWant {
				t.Fatalf("address %v, want %s", o.remote.Addr(), tc.mediaIPWant)
			}
		})
	}
}

// The answer must parse back to what was chosen: the demo relies on its
// own parser reading peers' SDP the same way.
func TestAnswerRoundTrip(t *testing.T) {
	c, _ := codecFor(payloadPCMA)
	o := offer{codec: c, dtmfPT: 101, hasDTMF: true}
	local := netip.MustParseAddrPort("127.0.0.1:40000")
	got, err := parseOffer(answerSDP(local, o, 42))
	if err != nil {
		t.Fatal(err)
	}
	if got.remote != local || got.codec.name != "PCMA" || got.dtmfPT != 101 {
		t.Fatalf("round trip %+v", got)
	}
}

func FuzzParseOffer(f *testing.F) {
	f.Add([]byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add([]byte("c=IN IP6 ::1\nm=audio 1 RTP/AVP 8\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := parseOffer(b)
		if err != nil {
			return
		}
		if o.remote.Port() == 0 || (o.codec.name != "PCMU" && o.codec.name != "PCMA") {
			t.Fatalf("accepted offer without a usable stream: %+v", o)
		}
		if _, err := parseOffer(answerSDP(netip.MustParseAddrPort("127.0.0.1:4000"), o, 1)); err != nil {
			t.Fatalf("own answer unparsable: %v", err)
		}
	})
}
