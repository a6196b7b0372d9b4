package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/anon"
)

// byeTimeout bounds each BYE the B2BUA sends when a call ends.
const byeTimeout = 5 * time.Second

// bridge connects an admitted INVITE to a new outbound leg placed with the
// Dialer. The outbound leg is a new call (own Call-ID, tags, Via; no
// header of the inbound request is copied except the SDP body), so
// identity headers sent by the caller never reach the callee. Provisional
// responses (180, 183 with SDP) are relayed, CANCEL from the caller
// cancels the outbound INVITE, and BYE on either leg ends the other.
// re-INVITEs are refused with 488 (see handleInvite): media is not
// renegotiated across the legs.
func (st *state) bridge(req *sipgosip.Request, tx sipgosip.ServerTransaction, c caller, dest anon.Destination, src netip.AddrPort) {
	rec := CallRecord{Event: RecordStart, ID: req.CallID().Value(), Class: c.class, Caller: c.identity,
		Destination: dest.String(), Source: src, Start: st.now()}
	st.record(rec)
	end := func(status int, cause string) {
		rec.Event, rec.Status, rec.Cause, rec.End = RecordEnd, status, cause, st.now()
		if !rec.Answer.IsZero() {
			rec.Duration = rec.End.Sub(rec.Answer)
		}
		st.record(rec)
	}

	dlgUA := st.dlgUA
	if req.Transport() == "TCP" {
		dlgUA = st.dlgUATCP
	}
	in, err := dlgUA.ReadInvite(req, tx)
	if err != nil {
		end(400, CauseUnavailable)
		_ = tx.Respond(st.response(req, 400, "Bad Request"))
		return
	}
	st.dlgs.add(in.ID, &bridgedCall{in: in})
	defer st.dlgs.remove(in.ID)
	_ = in.Respond(100, "Trying", nil)

	// The Router gives up when the caller cancels or the server stops.
	routeCtx, cancelRoute := context.WithCancel(in.Context())
	stopRoute := context.AfterFunc(st.ctx, cancelRoute)
	route, err := st.router.Route(routeCtx, RouteRequest{Class: c.class, Caller: c.identity, Destination: dest, Source: src})
	stopRoute()
	cancelRoute()
	if err != nil {
		code, reason, cause := errRouteStatus(err)
		if st.ctx.Err() != nil {
			code, reason, cause = 503, "Service Unavailable", CauseShutdown
		}
		end(code, cause)
		st.reject(in, tx, code, reason)
		return
	}
	// A NextHop that does not parse is the Dialer's to refuse.
	if hop, err := netip.ParseAddrPort(route.NextHop); st.isSelf(route.Target) || (err == nil && st.isSelfAddr(hop)) {
		// The target is this server or its dialer: bridging would loop,
		// each hop a fresh call with a fresh Max-Forwards.
		end(482, CauseNoRoute)
		st.reject(in, tx, 482, "Loop Detected")
		return
	}
	if st.dialer == nil {
		end(503, CauseUnavailable)
		st.reject(in, tx, 503, "Service Unavailable")
		return
	}
	from := route.From
	if from == "" {
		from = c.fromURI
	}
	// The outbound leg carries one hop less than the inbound INVITE
	// (admit already answered 483 to Max-Forwards 0); with no hop left
	// there is nothing to forward to.
	maxFwd := 70
	if mf := req.MaxForwards(); mf != nil {
		maxFwd = int(mf.Val()) - 1
	}
	if maxFwd < 1 {
		end(483, CauseNoRoute)
		st.reject(in, tx, 483, "Too Many Hops")
		return
	}
	ringCtx, cancelRing := context.WithTimeout(in.Context(), st.lim.RingTimeout)
	stopOnShutdown := context.AfterFunc(st.ctx, cancelRing)
	out, err := st.dialer.Dial(ringCtx, DialRequest{
		Target: route.Target, From: from, Proxy: route.Proxy, NextHop: route.NextHop,
		Username: route.Username, Password: route.Password, Realm: route.Realm,
		SDP: req.Body(), MaxForwards: maxFwd,
		OnProgress: func(p Progress) {
			if p.StatusCode == 100 {
				return
			}
			if p.SDP != nil {
				_ = in.Respond(p.StatusCode, p.Reason, p.SDP, sipgosip.NewHeader("Content-Type", "application/sdp"))
			} else {
				_ = in.Respond(p.StatusCode, p.Reason, nil)
			}
		},
	})
	ringTimedOut := errors.Is(ringCtx.Err(), context.DeadlineExceeded)
	stopOnShutdown()
	cancelRing()
	if err != nil {
		code, reason, cause := st.dialFailure(in.Context(), err, ringTimedOut)
		if code == 0 {
			end(487, cause)
			return
		}
		end(code, cause)
		st.reject(in, tx, code, reason)
		return
	}

	answer := out.RemoteSDP()
	if len(answer) == 0 {
		// A bare 2xx after an answer in an unreliable 183, as some PBXs
		// send: that early SDP was the answer.
		answer = out.EarlySDP()
	}
	if len(answer) == 0 {
		// No answer to the caller's offer at all: the callee broke
		// offer/answer. The caller still needs a final response.
		end(502, CauseUnavailable)
		st.reject(in, tx, 502, "Bad Gateway")
		hangup(out.Hangup)
		return
	}
	rec.Event, rec.Answer, rec.Status = RecordAnswer, st.now(), 200
	st.record(rec)
	if err := in.RespondSDP(answer); err != nil {
		// No ACK (or the caller vanished): end the outbound leg too.
		hangup(out.Hangup)
		end(200, CauseUnavailable)
		return
	}

	maxDur := time.NewTimer(st.lim.MaxDuration)
	defer maxDur.Stop()
	var cause string
	select {
	case <-in.Context().Done():
		cause = CauseCallerHangup
		hangup(out.Hangup)
	case <-out.Done():
		cause = CauseCalleeHangup
		if out.Cause() == EndMaxDuration {
			cause = CauseMaxDuration
		}
		hangup(in.Bye)
	case <-maxDur.C:
		cause = CauseMaxDuration
		hangup(out.Hangup)
		hangup(in.Bye)
	case <-st.ctx.Done():
		cause = CauseShutdown
		hangup(out.Hangup)
		hangup(in.Bye)
	}
	end(200, cause)
}

// reject sends a final non-2xx response in the caller's early dialog (same
// To tag as the provisional responses). The INVITE server transaction
// retransmits it and absorbs the ACK on its own, so unlike
// DialogServerSession.Respond this does not block the handler.
func (st *state) reject(in *sipgo.DialogServerSession, tx sipgosip.ServerTransaction, code int, reason string) {
	res := sipgosip.NewResponseFromRequest(in.InviteRequest, code, reason, nil)
	res.AppendHeader(sipgosip.NewHeader("Server", st.userAgent))
	_ = tx.Respond(res)
}

// hangup sends one BYE with a bounded wait.
func hangup(bye func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), byeTimeout)
	defer cancel()
	_ = bye(ctx)
}

// dialFailure maps a failed outbound leg to the caller's final status;
// code 0 means a response was already sent (487 after CANCEL).
func (st *state) dialFailure(inCtx context.Context, err error, ringTimedOut bool) (int, string, string) {
	var ce *CallError
	switch {
	case inCtx.Err() != nil:
		return 0, "", CauseCancelled // the transaction layer answered 487
	case st.ctx.Err() != nil:
		return 503, "Service Unavailable", CauseShutdown
	case ringTimedOut || errors.Is(err, ErrRingTimeout):
		return 408, "Request Timeout", CauseRingTimeout
	case errors.As(err, &ce):
		code, reason := ce.StatusCode, ce.Reason
		switch {
		case code == 401 || code == 407 || errors.Is(err, ErrAuthFailed):
			// The upstream refused our server-held credentials: the
			// caller can do nothing about it.
			code, reason = 503, "Service Unavailable"
		case code < 400:
			// Redirects would expose the callee's contacts.
			code, reason = 480, "Temporarily Unavailable"
		}
		if reason == "" || len(reason) > 64 {
			reason = "Call Rejected"
		}
		return code, reason, CauseRejected
	}
	return 480, "Temporarily Unavailable", CauseUnavailable
}

// isSelf reports whether a SIP URI points at one of this server's own
// sockets or at its dialer's.
func (st *state) isSelf(target string) bool {
	var u sipgosip.Uri
	if err := sipgosip.ParseUri(target, &u); err != nil {
		return false
	}
	ip, err := uriIP(u)
	if err != nil {
		return false // a name: the Router's business
	}
	port := uint16(u.Port)
	if port == 0 {
		port = 5060
	}
	return st.isSelfAddr(netip.AddrPortFrom(ip, port))
}

// isSelfAddr reports whether ap is one of this server's own sockets or
// its dialer's.
func (st *state) isSelfAddr(ap netip.AddrPort) bool {
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	for _, own := range st.ownAddrs {
		if own == ap || (own.Port() == ap.Port() && own.Addr().IsUnspecified()) {
			return true
		}
	}
	return false
}

// uriIP is the IP address a SIP URI names as its host (unmapped), or an
// error for a host name.
func uriIP(u sipgosip.Uri) (netip.Addr, error) {
	// sipgo keeps an IPv6 reference's brackets in Host.
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(u.Host, "["), "]"))
	return ip.Unmap(), err
}

// contactHeader is the Contact of the B2BUA's inbound dialogs.
func contactHeader(pc net.PacketConn, ln net.Listener) sipgosip.ContactHeader {
	u := sipgosip.Uri{Scheme: "sip", User: "webdial"}
	var ap netip.AddrPort
	if pc != nil {
		ap = addrPortOf(pc.LocalAddr())
	} else if ln != nil {
		ap = addrPortOf(ln.Addr())
		u.UriParams = sipgosip.NewParams()
		u.UriParams.Add("transport", "tcp")
	}
	u.Host = ap.Addr().String()
	u.Port = int(ap.Port())
	return sipgosip.ContactHeader{Address: u}
}
