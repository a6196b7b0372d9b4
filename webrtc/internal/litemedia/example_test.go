package litemedia_test

import (
	"fmt"
	"strings"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

func Example() {
	offer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 0 126\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n" +
		"a=ice-ufrag:pageufrag\r\na=ice-pwd:pagepasswordpagepassword\r\n" +
		"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n" +
		"a=setup:actpass\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n"
	cert, err := litemedia.GenerateCertificate() // one per gateway, shared by calls
	if err != nil {
		panic(err)
	}
	tr, err := litemedia.New(offer, litemedia.Config{
		Certificate: cert,
		OnRTP:       func(pkt []byte) { /* relay pkt to the SIP side */ },
	})
	if err != nil {
		panic(err)
	}
	defer tr.Close()
	// Send tr.Answer() to the page, then tr.Connect(ctx) and
	// tr.WriteRTP(pkt) for the other direction.
	for _, line := range strings.Split(tr.Answer(), "\r\n") {
		if line == "a=ice-lite" || line == "a=setup:passive" || strings.HasPrefix(line, "a=rtpmap") {
			fmt.Println(line)
		}
	}
	// Output:
	// a=ice-lite
	// a=setup:passive
	// a=rtpmap:0 PCMU/8000
	// a=rtpmap:126 telephone-event/8000
}
