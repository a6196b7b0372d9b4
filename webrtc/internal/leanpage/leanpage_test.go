package leanpage_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/sip"
	"github.com/webdial/webdial/token"
	"github.com/webdial/webdial/webrtc"
	"github.com/webdial/webdial/webrtc/internal/leanpage"
	"github.com/webdial/webdial/webrtc/internal/sipecho"
)

const testOrigin = "https://shop.example.com"

// bed is a real webrtc.Gateway on loopback HTTP in front of a SIP echo.
type bed struct {
	url    string
	sealer *token.Sealer
	gw     *webrtc.Gateway
	echo   *sipecho.Server
}

// engines are the gateway's media engines the client must work with.
var engines = []struct {
	name           string
	lite, shared   bool
	wantLiteAnswer bool
}{
	{"pion", false, false, false},
	{"lite", true, false, true},
	{"liteshared", true, true, true},
}

func newBed(t *testing.T, lite, shared bool) *bed {
	t.Helper()
	echo, err := sipecho.Listen(sipecho.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(echo.Close)
	key := make([]byte, token.KeySize)
	_, _ = rand.Read(key)
	sealer, err := token.NewSealer(token.SealerConfig{Keys: []token.Key{{ID: 1, Secret: key}}})
	if err != nil {
		t.Fatal(err)
	}
	origins, err := token.ParseOrigins(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	dialer, err := sip.NewDialer(t.Context(), sip.DialerConfig{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := webrtc.New(webrtc.Config{
		Dialer: dialer, Sealer: sealer, Origins: origins,
		Policy:  &anon.Policy{Domains: []string{"example.com"}},
		Proxy:   echo.Addr().String(),
		Logger:  quiet,
		ICELite: lite, ICELiteShared: shared,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gw.Close(ctx); err != nil {
			t.Errorf("gateway close: %v", err)
		}
		srv.Close()
		_ = dialer.Close()
	})
	return &bed{url: srv.URL + "/call", sealer: sealer, gw: gw, echo: echo}
}

// settle waits until the gateway has ended its one call and the echo has
// seen that call end (and, with invited, its INVITE). Closing the echo
// while it is still handling an INVITE could leak that call's echo
// goroutine (sipecho registers the call before it opens the call's media
// socket), and sipecho.Close would then wait for it forever. A refused
// page may be gone before the gateway sends its INVITE at all.
func (b *bed) settle(t *testing.T, ctx context.Context, invited bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for (invited && b.echo.Invites.Load() < 1) || b.gw.Stats().ActiveCalls != 0 || b.echo.Active() != 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("call not ended: invites %d, gateway calls %d, echo calls %d",
				b.echo.Invites.Load(), b.gw.Stats().ActiveCalls, b.echo.Active())
		}
	}
}

func (b *bed) options(t *testing.T) leanpage.Options {
	t.Helper()
	tok, err := b.sealer.Seal(token.Claims{Destination: "sip:echo@example.com", Audience: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	return leanpage.Options{URL: b.url, Origin: testOrigin, Token: tok}
}

// TestCallEcho: with every gateway engine, a lean page is answered and
// its RTP comes back through the gateway and the SIP echo unchanged.
func TestCallEcho(t *testing.T) {
	for _, e := range engines {
		for _, reader := range []string{"own", "poller", "bank"} {
			t.Run(e.name+"/"+reader, func(t *testing.T) { testCallEcho(t, e.lite, e.shared, e.wantLiteAnswer, reader) })
		}
	}
}

// testCallEcho: reader "own" is the page's own socket and goroutine,
// "poller" a Poller, "bank" a Bank.
func testCallEcho(t *testing.T, lite, shared, wantLiteAnswer bool, reader string) {
	b := newBed(t, lite, shared)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	echoed := make(chan []byte, 64)
	o := b.options(t)
	flush := func() {}
	switch reader {
	case "poller":
		p, err := leanpage.NewPoller()
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		o.Poller = p
	case "bank":
		bank, err := leanpage.NewBank()
		if err != nil {
			t.Fatal(err)
		}
		defer bank.Close()
		o.Bank = bank
		flush = func() {
			if err := bank.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	o.OnRTP = func(pkt []byte) {
		select {
		case echoed <- bytes.Clone(pkt[12:]): // fixed header: the client offers no extensions
		default:
		}
	}
	c, err := leanpage.Dial(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Lite != wantLiteAnswer {
		t.Fatalf("answer ice-lite %v, want %v", c.Lite, wantLiteAnswer)
	}
	if _, err := c.WaitState(ctx, "answered"); err != nil {
		t.Fatal(err)
	}
	pingPong(t, ctx, c, flush, echoed, 10)
	if s := c.Stats(); s.PacketsIn == 0 || s.PacketsOut < 10 || s.Dropped != 0 {
		t.Fatalf("stats %+v", s)
	}
	if err := c.Hangup(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Hangup(ctx); !errors.Is(err, leanpage.ErrStatus) {
		t.Fatalf("second hangup: %v, want ErrStatus", err)
	}
	b.settle(t, ctx, true)
}

// pingPong sends n distinct payloads one at a time (each resent every
// 20 ms, as audio would be, until it is heard) and checks every echo.
func pingPong(t *testing.T, ctx context.Context, c *leanpage.Client, flush func(), echoed <-chan []byte, n int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := range n {
		payload := make([]byte, 160)
		for j := range payload {
			payload[j] = byte(i*7 + j)
		}
		binary.BigEndian.PutUint32(payload, uint32(i)|0xabcd0000)
		if err := c.WriteAudio(payload); err != nil {
			t.Fatal(err)
		}
		flush()
	wait:
		for {
			select {
			case got := <-echoed:
				if binary.BigEndian.Uint32(got) == uint32(i)|0xabcd0000 {
					if !bytes.Equal(got, payload) {
						t.Fatalf("packet %d echoed as %x, want %x", i, got, payload)
					}
					break wait
				}
			case <-tick.C:
				if err := c.WriteAudio(payload); err != nil {
					t.Fatal(err)
				}
				flush()
			case <-ctx.Done():
				t.Fatalf("packet %d not echoed: %v", i, ctx.Err())
			}
		}
	}
}

// TestWrongFingerprint: an answer whose fingerprint is not the gateway's
// certificate's is refused, whichever DTLS role the page has.
func TestWrongFingerprint(t *testing.T) {
	for _, e := range engines[:2] { // pion: the page is the DTLS server; lite: the client
		t.Run(e.name, func(t *testing.T) {
			b := newBed(t, e.lite, e.shared)
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			o := b.options(t)
			o.HTTP = &http.Client{Transport: fingerprintForger{}}
			c, err := leanpage.Dial(ctx, o)
			if err == nil {
				c.Close()
				t.Fatal("dialed with a forged fingerprint")
			}
			if !errors.Is(err, leanpage.ErrFingerprint) {
				t.Fatalf("%v, want ErrFingerprint", err)
			}
			b.settle(t, ctx, false) // the gateway gives up on the page and ends the SIP leg
		})
	}
}

// fingerprintForger changes one byte of every a=fingerprint in answers.
type fingerprintForger struct{}

func (fingerprintForger) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(body), "\r\n")
	for i, l := range lines {
		if rest, ok := strings.CutPrefix(l, "a=fingerprint:sha-256 "); ok {
			first := "00"
			if strings.HasPrefix(rest, "00") {
				first = "11"
			}
			lines[i] = "a=fingerprint:sha-256 " + first + rest[2:]
		}
	}
	forged := strings.Join(lines, "\r\n")
	resp.Body = io.NopCloser(strings.NewReader(forged))
	resp.ContentLength = int64(len(forged))
	return resp, nil
}
