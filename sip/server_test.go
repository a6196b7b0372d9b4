package sip

import (
	"context"
	"errors"
	"net"
	"testing"
)

func TestServerConfigErrors(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Server{}).Serve(context.Background(), pc, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("Serve without Domain: %v, want ErrConfig", err)
	}
	if err := (&Server{Domain: testDomain}).Serve(context.Background(), nil, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("Serve without sockets: %v, want ErrConfig", err)
	}
	ts := startServer(t, nil)
	pc2, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.Serve(context.Background(), pc2, nil); !errors.Is(err, ErrServerRunning) {
		t.Fatalf("second Serve: %v, want ErrServerRunning", err)
	}
	if !errors.Is(ErrUnavailable, ErrNoRoute) {
		t.Fatal("ErrUnavailable must wrap ErrNoRoute")
	}
}
