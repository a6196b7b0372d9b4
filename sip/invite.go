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

// handleInvite runs for every INVITE that reaches the transaction layer.
// Order matters: cheap syntactic checks, then the caller's class (407 for
// in-domain callers), then anon.Policy on the Request-URI (403: the call
// never reaches a Router), then the call caps, and only then routing.
func (st *state) handleInvite(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	respond := func(code int, reason string) {
		_ = tx.Respond(st.response(req, code, reason))
	}
	if err := validateRequest(req); err != nil {
		_ = tx.Respond(st.badRequest(req, err))
		return
	}
	if req.Contact() == nil {
		respond(400, "Missing Contact")
		return
	}
	if mf := req.MaxForwards(); mf != nil && mf.Val() == 0 {
		respond(483, "Too Many Hops")
		return
	}
	if to := req.To(); to.Params.Has("tag") {
		// A re-INVITE (or a stray in-dialog INVITE). Session changes are
		// refused: the B2BUA does not renegotiate media across legs.
		if st.dlgs.match(req) != nil {
			respond(488, "Not Acceptable Here")
		} else {
			respond(481, "Call/Transaction Does Not Exist")
		}
		return
	}
	src := sourceOf(req)
	c, res := st.classify(req, src)
	if res != nil {
		_ = tx.Respond(res)
		return
	}
	dest, err := st.policy.Check(c.class, req.Recipient.String())
	if err != nil {
		respond(403, anon.ReasonPhrase(err))
		return
	}
	if !st.calls.acquire(src.Addr(), c.class) {
		res := st.response(req, 503, "Service Unavailable")
		res.AppendHeader(sipgosip.NewHeader("Retry-After", "30"))
		_ = tx.Respond(res)
		return
	}
	defer st.calls.release(src.Addr(), c.class)
	if !st.dlgs.enter() {
		respond(503, "Service Unavailable")
		return
	}
	defer st.dlgs.leave()
	st.bridge(req, tx, c, dest, src)
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
	case strings.EqualFold(from.Host, st.domain) && st.authSrv != nil:
		user, res := st.authenticate(context.Background(), req, req.Recipient.String(), src,
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
