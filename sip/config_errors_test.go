package sip

import (
	"context"
	"errors"
	"testing"
)

// TestBadAddressesAreTypedErrors: a malformed address in a config is bad
// input and must be errors.Is-able to the config sentinel, not only a
// *net.AddrError from the listener.
func TestBadAddressesAreTypedErrors(t *testing.T) {
	for _, addr := range []string{"no-port", "127.0.0.1:notaport", "127.0.0.1:99999"} {
		if _, err := NewDialer(context.Background(), DialerConfig{LocalAddr: addr}); !errors.Is(err, ErrBadDialerConfig) {
			t.Errorf("NewDialer(LocalAddr %q) = %v, want ErrBadDialerConfig", addr, err)
		}
		if _, err := NewDialer(context.Background(), DialerConfig{LocalAddr: addr, Transport: "tcp"}); !errors.Is(err, ErrBadDialerConfig) {
			t.Errorf("NewDialer(tcp LocalAddr %q) = %v, want ErrBadDialerConfig", addr, err)
		}
		s := &Server{Domain: testDomain, UDPAddr: addr}
		if err := s.Run(context.Background()); !errors.Is(err, ErrConfig) {
			t.Errorf("Run(UDPAddr %q) = %v, want ErrConfig", addr, err)
		}
		s = &Server{Domain: testDomain, TCPAddr: addr}
		if err := s.Run(context.Background()); !errors.Is(err, ErrConfig) {
			t.Errorf("Run(TCPAddr %q) = %v, want ErrConfig", addr, err)
		}
	}
}
