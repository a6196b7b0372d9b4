package sip_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"strings"
	"time"

	"github.com/webdial/webdial/sip"
)

// ExampleDialer_Dial places a call to a SIP peer on loopback, reads the
// answer SDP and hangs up.
func ExampleDialer_Dial() {
	peer := startAnsweringPeer() // stands in for a real SIP phone or trunk

	d, err := sip.NewDialer(context.Background(), sip.DialerConfig{
		RingTimeout: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	call, err := d.Dial(ctx, sip.DialRequest{
		Target: "sip:echo@" + peer,
		From:   `"Visitor" <sip:anonymous.a1b2@anonymous.invalid>`,
		SDP:    []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n"),
		OnProgress: func(p sip.Progress) {
			// 180 Ringing, or 183 with early media in p.SDP: tell the caller.
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("answered, remote media:", strings.Contains(string(call.RemoteSDP()), "m=audio 40002"))
	if err := call.Hangup(ctx); err != nil {
		log.Fatal(err)
	}
	<-call.Done()
	fmt.Println("ended:", call.Cause())
	// Output:
	// answered, remote media: true
	// ended: local hangup
}

// startAnsweringPeer is a minimal UDP SIP peer for the example: it rings,
// answers every INVITE with SDP, and accepts BYE. It returns its address.
func startAnsweringPeer() string {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		defer conn.Close()
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			msg := string(buf[:n])
			reply := func(status, extra, body string) {
				var b strings.Builder
				b.WriteString("SIP/2.0 " + status + "\r\n")
				for _, line := range strings.Split(msg, "\r\n") {
					name, _, _ := strings.Cut(line, ":")
					switch strings.ToLower(name) {
					case "via", "from", "call-id", "cseq":
						b.WriteString(line + "\r\n")
					case "to":
						if !strings.Contains(line, "tag=") {
							line += ";tag=peer1"
						}
						b.WriteString(line + "\r\n")
					}
				}
				fmt.Fprintf(&b, "%sContent-Length: %d\r\n\r\n%s", extra, len(body), body)
				conn.WriteTo([]byte(b.String()), from)
			}
			switch {
			case strings.HasPrefix(msg, "INVITE "):
				contact := "Contact: <sip:echo@" + conn.LocalAddr().String() + ">\r\n"
				reply("180 Ringing", contact, "")
				reply("200 OK", contact+"Content-Type: application/sdp\r\n",
					"v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\n")
			case strings.HasPrefix(msg, "BYE "):
				reply("200 OK", "", "")
				return
			}
		}
	}()
	return conn.LocalAddr().String()
}
