package sip

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// BenchmarkDialerCall measures a whole call through the Dialer against a
// sipp UAS on loopback: INVITE, 200 with SDP, ACK, BYE, 200.
func BenchmarkDialerCall(b *testing.B) {
	ports := []int{testpeer.FreePort(b), dialerMediaPort(b)}
	testpeer.Start(b, "sipp", testpeer.Options{
		Args: []string{"-sf", "{{.Dir}}/scenario.xml", "-i", "127.0.0.1", "-p", strconv.Itoa(ports[0]),
			"-mp", strconv.Itoa(ports[1]), "-nostdin", "-l", "10000"},
		Configs: map[string]string{"scenario.xml": "testdata/sipp/uas_bench.xml"},
		Listen: []string{"udp:" + strconv.Itoa(ports[0]),
			"udp:" + strconv.Itoa(ports[1]), "udp:" + strconv.Itoa(ports[1]+2)},
	})
	target := "sip:svc@127.0.0.1:" + strconv.Itoa(ports[0])
	d, err := NewDialer(context.Background(), DialerConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			c, err := d.Dial(ctx, DialRequest{Target: target, SDP: dialerOffer})
			if err != nil {
				cancel()
				b.Error(err)
				return
			}
			if err := c.Hangup(ctx); err != nil {
				b.Error(err)
			}
			cancel()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
