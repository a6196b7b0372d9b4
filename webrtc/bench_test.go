package webrtc

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/pageclient"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

// BenchmarkCallSetup measures one whole call in one process: page offer,
// token, hooks, pion answer with ICE gathering, INVITE/200/ACK to a Go
// echo UAS, ICE+DTLS, control channel "answered", DELETE and BYE. The
// page's and the SIP side's work are included.
func BenchmarkCallSetup(b *testing.B) {
	echo := startEcho(b, sipecho.Options{})
	bd := newBed(b, echo.Addr().String(), nil)
	hc := &http.Client{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := bd.dial(ctx, pageclient.Options{Origin: testOrigin, Token: bd.token(), HTTP: hc})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.WaitState(ctx, "answered"); err != nil {
			b.Fatal(err)
		}
		if err := c.Hangup(ctx); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}

// BenchmarkRTPHeader is the relay's per-packet header work on the
// page-to-SIP path (parse, strip extension, rewrite), without I/O.
func BenchmarkRTPHeader(b *testing.B) {
	pkt := make([]byte, 12+8+160)
	pkt[0], pkt[1] = 0x90, 0
	pkt[12], pkt[13], pkt[15] = 0xbe, 0xde, 1
	buf := make([]byte, len(pkt))
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		copy(buf, pkt)
		hl := rtpHeaderLen(buf)
		n := rtpPayloadEnd(buf, hl)
		copy(buf[12:], buf[hl:n])
		buf[0] = 0x80
	}
}

// BenchmarkSIPSend compares one RTP send on the SIP side through the
// kernel-connected socket with a send carrying the address (sendto on an
// unconnected socket); the receiver drains in another goroutine.
func BenchmarkSIPSend(b *testing.B) {
	for _, connected := range []bool{false, true} {
		name := "sendto"
		if connected {
			name = "connected"
		}
		b.Run(name, func(b *testing.B) {
			lo := netip.MustParseAddr("127.0.0.1")
			r, err := newRelay(lo, 0, 0, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			defer r.close()
			rx, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				b.Fatal(err)
			}
			defer rx.Close()
			go func() {
				buf := make([]byte, 1500)
				for {
					if _, err := rx.Read(buf); err != nil {
						return
					}
				}
			}()
			remote := rx.LocalAddr().(*net.UDPAddr).AddrPort()
			if connected {
				r.setSIPMedia(sipMedia{Remote: remote, CodecPT: 0, EventPT: ptNone})
				t := *r.target.Load()
				t.latched = true
				r.target.Store(&t)
				r.sip.connect(r.conn, r, remote)
				if r.sip.peer.Load() == nil {
					b.Skip("connected UDP sockets not used on this platform")
				}
			}
			pkt := rtpPacket(0, 1, 2, 3, make([]byte, 160))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := r.sip.send(r.conn, pkt, remote); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
