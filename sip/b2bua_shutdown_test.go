package sip

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/webdial/webdial/anon"
)

// TestServeStopCancelsRouter: a Router is handed a context so that it can
// give up; stopping the server must end it, as it ends Dial. Before, the
// Router's context ended only when the caller cancelled, so a Router
// blocked on a slow lookup kept its INVITE handler (and its call slot)
// running after Serve had returned.
func TestServeStopCancelsRouter(t *testing.T) {
	entered := make(chan struct{})
	released := make(chan struct{})
	srv := &Server{
		Domain: testDomain,
		Policy: &anon.Policy{Domains: []string{testDomain}},
		Logger: srvTestLogger(t),
		Limits: Limits{PerSourceRate: -1},
		Router: RouterFunc(func(ctx context.Context, r RouteRequest) (Route, error) {
			close(entered)
			<-ctx.Done()
			close(released)
			return Route{}, ctx.Err()
		}),
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, pc, nil) }()
	ping(t, pc.LocalAddr().(*net.UDPAddr))

	c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(inviteMsg(c.LocalAddr(), anonFrom, "sip:bob@"+testDomain, 1))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the INVITE never reached the Router")
	}
	cancel()
	select {
	case <-released:
	case <-time.After(5 * time.Second): // Serve itself gives handlers 10 s
		t.Fatal("stopping the server did not cancel the Router's context")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
}
