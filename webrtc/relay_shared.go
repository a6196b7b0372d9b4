package webrtc

import (
	"errors"
	"net"
	"net/netip"
)

// errUnsendable is a packet towards SIP that could not be queued (an
// address the shared socket's family cannot reach).
var errUnsendable = errors.New("webrtc: rtp destination unreachable from the rtp socket")

// noTarget is a sipTarget that relays nothing either way.
func noTarget() *sipTarget {
	t := &sipTarget{}
	for i := range t.toSIP {
		t.toSIP[i], t.toPage[i] = ptNone, ptNone
	}
	return t
}

// setSharedMedia registers the SIP side's media address on the shared
// socket and stores t for it; false (nothing stored) when the call is on
// its own socket instead, because it fell back now or before. A call falls
// back when another call already holds that address on the shared socket:
// both streams would arrive on one 5-tuple. Its offer advertised the
// shared port and sip.Dialer does not re-INVITE, so the fallback socket
// receives the SIP side's media only from a peer that sends to where our
// RTP comes from (symmetric RTP, RFC 4961, or latching "comedia" media
// servers); the shared socket never hands the address to the second call.
func (r *relay) setSharedMedia(t *sipTarget, m sipMedia) bool {
	r.modeMu.Lock()
	defer r.modeMu.Unlock()
	if r.fellBack || r.closed {
		return r.closed // closed: keep the empty target close stored
	}
	remote := m.Remote
	if m.Inactive {
		remote = netip.AddrPort{}
	}
	if remote != r.sharedAt {
		if r.sharedAt.IsValid() {
			r.shared.unregister(r.sharedAt, r)
			r.sharedAt = netip.AddrPort{}
		}
		if remote.IsValid() && !r.shared.register(remote, r) {
			return !r.fallBack()
		}
		r.sharedAt = remote
	}
	t.remote, t.latched, t.conn, t.shared = remote, true, r.shared.conn, true
	r.target.Store(t)
	return true
}

// fallBack binds the call's own RTP pair and starts reading it, under
// modeMu; false (nothing sent to SIP, counted as dropped) if no pair is
// free.
func (r *relay) fallBack() bool {
	conn, rtcp, err := bindRTPPair(r.addr, r.portMin, r.portMax)
	if err != nil {
		r.log.Warn("webrtc: sip media address taken on the shared rtp socket, and no own port", "err", err)
		r.target.Store(noTarget())
		return false
	}
	r.log.Info("webrtc: sip media address taken on the shared rtp socket: own port", "port", conn.LocalAddr().(*net.UDPAddr).Port)
	r.conn, r.rtcp, r.fellBack = conn, rtcp, true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.sipToPage(conn, true)
	}()
	return true
}
