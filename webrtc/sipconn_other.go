//go:build !linux

package webrtc

import (
	"errors"
	"net"
	"net/netip"
)

var errNoConnect = errors.New("webrtc: connected UDP sockets are only used on linux")

// connectUDP is not used outside Linux: the relay sends with an explicit
// address and filters sources itself.
func connectUDP(*net.UDPConn, netip.AddrPort) error { return errNoConnect }

func disconnectUDP(*net.UDPConn) error { return nil }
