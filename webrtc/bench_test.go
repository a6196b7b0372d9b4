package webrtc

import (
	"context"
	"net/http"
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
