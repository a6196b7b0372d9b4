package webrtc

import (
	"context"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

// testClock is a settable clock for Config.Now.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestLiteCertificateRenewal(t *testing.T) {
	clock := newTestClock(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	l := &liteCertificate{now: clock.now}
	first, err := l.get()
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.now().Add(litemedia.CertificateLifetime); !first.NotAfter().Equal(want) {
		t.Fatalf("NotAfter %v, want %v (the gateway's clock, not the machine's)", first.NotAfter(), want)
	}
	keep := litemedia.CertificateLifetime - liteCertRenewBefore - time.Second
	clock.advance(keep)
	if c, _ := l.get(); c != first {
		t.Fatalf("replaced %v after its start, before the renewal point", keep)
	}
	clock.advance(2 * time.Second)
	second, err := l.get()
	if err != nil {
		t.Fatal(err)
	}
	if second == first || second.Fingerprint() == first.Fingerprint() {
		t.Fatal("not replaced within liteCertRenewBefore of its end")
	}
	if c, _ := l.get(); c != second {
		t.Fatal("replaced again right after a renewal")
	}
}

var answerFingerprint = regexp.MustCompile(`(?m)^a=fingerprint:sha-256 ([0-9A-F:]+)\r?$`)

// TestLiteCertificateRenewedForNewCalls: after the renewal point a new
// call is answered with a new certificate, and a page (pion, which checks
// the DTLS certificate against the answer's fingerprint) connects with it
// and hears the call answered.
func TestLiteCertificateRenewedForNewCalls(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := map[bool]string{false: "lite", true: "liteshared"}[shared]
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			echo := startEcho(t, sipecho.Options{})
			clock := newTestClock(time.Now())
			b := newBed(t, echo.Addr().String(), engine{lite: true, shared: shared}.with(func(c *Config) { c.Now = clock.now }))
			fingerprint := func() string {
				t.Helper()
				c := b.answeredCall(ctx, nil)
				defer c.Close()
				m := answerFingerprint.FindStringSubmatch(c.PC.RemoteDescription().SDP)
				if m == nil {
					t.Fatalf("no sha-256 fingerprint in the answer:\n%s", c.PC.RemoteDescription().SDP)
				}
				return m[1]
			}
			first := fingerprint()
			if again := fingerprint(); again != first {
				t.Fatalf("second call answered with %s, want the gateway's certificate %s", again, first)
			}
			clock.advance(litemedia.CertificateLifetime - liteCertRenewBefore + time.Minute)
			if renewed := fingerprint(); renewed == first {
				t.Fatal("a call after the renewal point was answered with the old certificate")
			}
		})
	}
}
