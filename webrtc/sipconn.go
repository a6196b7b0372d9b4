package webrtc

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// sipPeer kernel-connects the relay's SIP-side RTP socket to the latched
// source. A connected UDP socket skips the route lookup on every send
// (about 0.5-1 µs per packet on loopback, measured in
// BenchmarkSIPSend) and the kernel then drops datagrams from any other
// source before they reach the relay. The relay's own source check stays:
// it covers packets queued before the connect and platforms where connect
// is not used.
type sipPeer struct {
	mu   sync.Mutex                     // serialises connect and disconnect
	peer atomic.Pointer[netip.AddrPort] // connected peer; nil: not connected
}

// connect connects conn to ap if, under the lock, ap is still the latched
// remote of the relay's current target. Checking under the lock orders it
// against disconnectUnless: a connect racing a media change either sees
// the new target and does nothing, or is undone by it.
func (p *sipPeer) connect(conn *net.UDPConn, r *relay, ap netip.AddrPort) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := r.target.Load()
	if t == nil || !t.latched || t.remote != ap {
		return
	}
	if cur := p.peer.Load(); cur != nil && *cur == ap {
		return
	}
	if connectUDP(conn, ap) == nil {
		p.peer.Store(&ap)
	}
}

// disconnectUnless disconnects conn unless t is latched onto the peer it
// is connected to, so that a new SIP-side source can be latched.
func (p *sipPeer) disconnectUnless(conn *net.UDPConn, t *sipTarget) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.peer.Load()
	if cur == nil || (t.latched && t.remote == *cur) {
		return
	}
	p.peer.Store(nil)
	_ = disconnectUDP(conn)
}

// send writes pkt to remote, through the connection when remote is the
// connected peer. If a media change disconnected the socket meanwhile, the
// write fails and pkt is sent with an explicit address instead.
func (p *sipPeer) send(conn *net.UDPConn, pkt []byte, remote netip.AddrPort) error {
	if cur := p.peer.Load(); cur != nil && *cur == remote {
		if _, err := conn.Write(pkt); err == nil {
			return nil
		}
	}
	_, err := conn.WriteToUDPAddrPort(pkt, remote)
	return err
}
