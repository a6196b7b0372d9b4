package sip

import (
	"context"
	"errors"
	"net/netip"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/anon"
)

// caller is the outcome of classifying an INVITE's sender.
type caller struct {
	class    anon.Class
	identity string // see RouteRequest.Caller
	fromURI  string // outbound From default
}

// admission is an INVITE that passed admit: who calls, and where to.
type admission struct {
	caller caller
	dest   anon.Destination
}

// admit runs the checks every new INVITE must pass, in an order that
// matters: cheap syntactic checks, then the caller's class (407 for
// in-domain callers), then anon.Policy on the Request-URI (403: a denied
// call never reaches a Router). It returns the response for a rejected
// INVITE. Over UDP it runs statelessly in the read filter, so rejected
// INVITEs create no transaction and no sipgo per-source state.
func (st *state) admit(req *sipgosip.Request, src netip.AddrPort) (admission, *sipgosip.Response) {
	if err := validateRequest(req); err != nil {
		return admission{}, st.badRequest(req, err)
	}
	if req.Contact() == nil {
		return admission{}, st.response(req, 400, "Missing Contact")
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		return admission{}, st.response(req, 483, "Too Many Hops")
	}
	if to := req.To(); to.Params.Has("tag") {
		// A re-INVITE (or a stray in-dialog INVITE). Session changes are
		// refused: the B2BUA does not renegotiate media across legs.
		if st.dlgs.match(req) != nil {
			return admission{}, st.response(req, 488, "Not Acceptable Here")
		}
		return admission{}, st.response(req, 481, "Call/Transaction Does Not Exist")
	}
	c, res := st.classify(req, src)
	if res != nil {
		return admission{}, res
	}
	dest, err := st.policy.Check(c.class, req.Recipient.String())
	if err != nil {
		return admission{}, st.response(req, 403, anon.ReasonPhrase(err))
	}
	return admission{caller: c, dest: dest}, nil
}

// handleInvite runs for every INVITE that reaches the transaction layer:
// over UDP only those the read filter admitted (their admission is reused,
// so digest credentials are not verified twice), over TCP all of them.
// Then the call caps apply, and the call is bridged.
func (st *state) handleInvite(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	src := sourceOf(req)
	adm, ok, handled := st.passed.admission(req)
	if handled {
		// A late retransmission or a replay of an INVITE already
		// handled: 482, as RFC 3261 §8.2.2.2 answers a merged request.
		_ = tx.Respond(st.response(req, 482, "Loop Detected"))
		return
	}
	if !ok {
		var res *sipgosip.Response
		if adm, res = st.admit(req, src); res != nil {
			_ = tx.Respond(res)
			return
		}
	}
	c := adm.caller
	if !st.calls.acquire(src.Addr(), c.class) {
		res := st.response(req, 503, "Service Unavailable")
		res.AppendHeader(sipgosip.NewHeader("Retry-After", "30"))
		_ = tx.Respond(res)
		return
	}
	defer st.calls.release(src.Addr(), c.class)
	if !st.dlgs.enter() {
		_ = tx.Respond(st.response(req, 503, "Service Unavailable"))
		return
	}
	defer st.dlgs.leave()
	st.passed.setLive(req.CallID().Value(), true)
	defer st.passed.setLive(req.CallID().Value(), false)
	st.bridge(req, tx, c, adm.dest, src)
}

// classify decides the caller's class (anon.Class) from the server's own
// authentication state, never from what the From claims alone: an
// anonymous.invalid From can only ever be Anonymous (the most restricted
// class), an in-domain From must prove it with digest, and any other From
// is Unauthenticated only if the server allows that class at all.
func (st *state) classify(req *sipgosip.Request, src netip.AddrPort) (caller, *sipgosip.Response) {
	from := req.From().Address
	fromURI := from.String()
	switch {
	case anon.IsAnonymous(fromURI):
		return caller{class: anon.Anonymous, identity: fromURI, fromURI: fromURI}, nil
	// "example.com." is the same name as "example.com": both are in-domain.
	case strings.EqualFold(strings.TrimSuffix(from.Host, "."), st.domain) && st.authSrv != nil:
		user, res, _ := st.authenticate(context.Background(), req, req.Recipient.String(), src,
			"Proxy-Authorization", "Proxy-Authenticate", 407, "Proxy Authentication Required")
		if res != nil {
			return caller{}, res
		}
		if from.User != user {
			return caller{}, st.response(req, 403, "Forbidden")
		}
		id := user + "@" + strings.ToLower(st.domain)
		return caller{class: anon.Authenticated, identity: id, fromURI: "sip:" + id}, nil
	case st.allowUnauth:
		u := sipgosip.Uri{Scheme: from.Scheme, User: from.User, Host: from.Host, Port: from.Port}
		if u.Scheme == "" {
			u.Scheme = "sip"
		}
		return caller{class: anon.Unauthenticated, identity: fromURI, fromURI: u.String()}, nil
	}
	return caller{}, st.response(req, 403, "Forbidden")
}

func sourceOf(req *sipgosip.Request) netip.AddrPort {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func (st *state) handleAck(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	if b := st.dlgs.match(req); b != nil {
		_ = b.in.ReadAck(req, tx)
	}
}

func (st *state) handleBye(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	b := st.dlgs.match(req)
	if b == nil {
		_ = tx.Respond(st.response(req, 481, "Call/Transaction Does Not Exist"))
		return
	}
	if err := b.in.ReadBye(req, tx); err != nil {
		_ = tx.Respond(st.response(req, 400, "Bad Request"))
	}
}

// errRouteStatus maps a Router error to the caller's status.
func errRouteStatus(err error) (int, string, string) {
	switch {
	case errors.Is(err, ErrUnavailable):
		return 480, "Temporarily Unavailable", CauseUnavailable
	case errors.Is(err, ErrNoRoute):
		return 404, "Not Found", CauseNoRoute
	}
	return 500, "Server Internal Error", CauseNoRoute
}
