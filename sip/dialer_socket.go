package sip

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"

	"github.com/emiago/sipgo"
)

// dialerSocket is the Dialer's one local SIP socket: a UDP socket that
// also sends every request, or a TCP listener for in-dialog requests
// (requests then go out on connections sipgo dials and reuses).
type dialerSocket struct {
	network string // "udp" or "tcp"
	udp     net.PacketConn
	tcp     net.Listener
	addr    netip.AddrPort
	once    sync.Once
	ready   chan struct{} // closed when sipgo starts reading
}

func listenDialer(ctx context.Context, network, addr string) (*dialerSocket, error) {
	s := &dialerSocket{network: network, ready: make(chan struct{})}
	var lc net.ListenConfig
	var local net.Addr
	switch network {
	case "udp":
		c, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return nil, listenError(ErrBadDialerConfig, "sip: dialer listen udp "+addr, err)
		}
		s.udp, local = c, c.LocalAddr()
	case "tcp":
		l, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			return nil, listenError(ErrBadDialerConfig, "sip: dialer listen tcp "+addr, err)
		}
		s.tcp, local = l, l.Addr()
	default:
		return nil, fmt.Errorf("%w: Transport %q (want udp or tcp)", ErrBadDialerConfig, network)
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil || ap.Addr().IsUnspecified() {
		s.Close()
		return nil, fmt.Errorf("%w: LocalAddr %q must be a concrete IP address", ErrBadDialerConfig, addr)
	}
	s.addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	return s, nil
}

// listenError wraps a listen failure; a malformed address or an
// unresolvable host or port is bad configuration and also wraps cfgErr.
func listenError(cfgErr error, what string, err error) error {
	var addrErr *net.AddrError
	var dnsErr *net.DNSError
	if errors.As(err, &addrErr) || errors.As(err, &dnsErr) {
		return fmt.Errorf("%w: %s: %w", cfgErr, what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// serve runs sipgo's read loop on the socket until Close.
func (s *dialerSocket) serve(srv *sipgo.Server) error {
	signal := func() { s.once.Do(func() { close(s.ready) }) }
	if s.udp != nil {
		return srv.ServeUDP(readyPacketConn{s.udp, signal})
	}
	return srv.ServeTCP(readyListener{s.tcp, signal})
}

func (s *dialerSocket) Close() error {
	var err error
	if s.udp != nil {
		err = s.udp.Close()
	}
	if s.tcp != nil {
		err = s.tcp.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// transport is the SIP transport token for Via and requests.
func (s *dialerSocket) transport() string { return strings.ToUpper(s.network) }

// readyPacketConn signals on the first read: sipgo registers a UDP
// socket for sending only once its read loop has started.
type readyPacketConn struct {
	net.PacketConn
	signal func()
}

func (r readyPacketConn) ReadFrom(b []byte) (int, net.Addr, error) {
	r.signal()
	return r.PacketConn.ReadFrom(b)
}

// readyListener signals on the first Accept.
type readyListener struct {
	net.Listener
	signal func()
}

func (r readyListener) Accept() (net.Conn, error) {
	r.signal()
	return r.Listener.Accept()
}
