package sip

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/webdial/webdial/internal/testpeer"
)

// startKamailio runs Kamailio 5.x as an authenticating upstream proxy
// (testdata/kamailio/kamailio.cfg) on a free loopback port and returns
// its "host:port".
func startKamailio(t *testing.T, password string) string {
	t.Helper()
	port := testpeer.FreePort(t)
	testpeer.Start(t, "kamailio", testpeer.Options{
		Args: []string{"-f", "{{.Dir}}/kamailio.cfg", "-DD", "-E", "-n", "1",
			"-Y", "{{.Dir}}", "-w", "{{.Dir}}", "-m", "32", "-M", "8"},
		Configs: map[string]string{"kamailio.cfg": "testdata/kamailio/kamailio.cfg"},
		Vars:    map[string]any{"Port": port, "Password": password},
		Listen:  []string{"udp:" + strconv.Itoa(port)},
	})
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func TestDialerKamailioProxyAuth(t *testing.T) {
	const password = "kam-s3cret"
	proxy := startKamailio(t, password)

	t.Run("correct", func(t *testing.T) {
		uas := dialerStartUAS(t, "uas_answer.xml", 1, nil)
		d := newDialerForTest(t, DialerConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := d.Dial(ctx, DialRequest{Target: uas.Target, Proxy: proxy, SDP: dialerOffer,
			Username: "alice", Password: password, Realm: "webdial.test"})
		if err != nil {
			t.Fatalf("Dial via kamailio: %v", err)
		}
		if !dialerSDPHasMedia(c.RemoteSDP()) {
			t.Fatalf("remote SDP = %q", c.RemoteSDP())
		}
		if err := c.Hangup(ctx); err != nil {
			t.Fatalf("Hangup: %v", err)
		}
		uas.waitOK(t)
	})

	t.Run("cancel through proxy", func(t *testing.T) {
		uas := dialerStartUAS(t, "uas_ring_cancel.xml", 1, nil)
		d := newDialerForTest(t, DialerConfig{})
		open := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := d.Dial(ctx, DialRequest{Target: uas.Target, Proxy: proxy, SDP: dialerOffer,
			Username: "alice", Password: password, OnProgress: func(Progress) { cancel() }})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Dial error = %v, want context.Canceled", err)
		}
		uas.waitOK(t) // CANCEL relayed, 487 ACKed by the proxy
		// The background CANCEL ends only once the 487 reached us.
		dialerWaitGoroutines(t, open)
	})

	t.Run("wrong", func(t *testing.T) {
		d := newDialerForTest(t, DialerConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := d.Dial(ctx, DialRequest{Target: "sip:svc@127.0.0.1:9", Proxy: proxy, SDP: dialerOffer,
			Username: "alice", Password: "not-it"})
		var ce *CallError
		if !errors.Is(err, ErrAuthFailed) || !errors.As(err, &ce) || ce.StatusCode != 407 {
			t.Fatalf("Dial error = %v, want ErrAuthFailed with 407", err)
		}
	})

	t.Run("other realm ignored", func(t *testing.T) {
		d := newDialerForTest(t, DialerConfig{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := d.Dial(ctx, DialRequest{Target: "sip:svc@127.0.0.1:9", Proxy: proxy, SDP: dialerOffer,
			Username: "alice", Password: password, Realm: "elsewhere.test"})
		if !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("Dial error = %v, want ErrAuthFailed (challenge from an unexpected realm)", err)
		}
	})
}
