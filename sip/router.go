package sip

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/anon"
)

// Router picks where an allowed call goes. The Server calls it only after
// the caller was classified and anon.Policy accepted the destination, so
// a Router never sees a denied call. Implement it to send calls to a trunk
// or a queue; [LocationRouter] reaches registered users.
type Router interface {
	// Route returns the outbound leg for r, or an error wrapping
	// ErrNoRoute (answered 404) or ErrUnavailable (480).
	Route(ctx context.Context, r RouteRequest) (Route, error)
}

// RouterFunc adapts a function to [Router].
type RouterFunc func(ctx context.Context, r RouteRequest) (Route, error)

// Route implements [Router].
func (f RouterFunc) Route(ctx context.Context, r RouteRequest) (Route, error) { return f(ctx, r) }

// RouteRequest describes a call that passed classification and policy.
type RouteRequest struct {
	// Class is the caller's class as established by the server.
	Class anon.Class
	// Caller is the caller's identity: "user@domain" when authenticated,
	// the anonymous.invalid URI when anonymous, the From URI otherwise.
	Caller string
	// Destination is the policy-checked, normalised Request-URI. Route
	// this, not anything taken from the raw request.
	Destination anon.Destination
	// Source is the transport address the INVITE came from.
	Source netip.AddrPort
}

// Route is the outbound leg chosen by a [Router]; its fields become the
// [DialRequest] of the B2BUA's outbound call.
type Route struct {
	// Target is the Request-URI of the outbound INVITE, e.g. a
	// registered contact or "sip:+15551234@trunk.example.net".
	Target string
	// Proxy is an optional outbound proxy "host:port".
	Proxy string
	// NextHop, if set, is the "ip:port" the INVITE is sent to whatever
	// Target and Proxy name (see [DialRequest].NextHop).
	NextHop string
	// From is the outbound From. If empty, the caller's identity
	// (RouteRequest.Caller as a sip: URI).
	From string
	// Username and Password are server-held credentials for a 401/407
	// from the upstream; never taken from the caller.
	Username string
	Password string
	// Realm, if set, is the only realm whose challenges the Dialer
	// answers with Username and Password.
	Realm string
}

// LocationRouter routes calls for users of Domain to their freshest
// registered contact, and refuses everything else with ErrNoRoute.
//
// A contact can name any host, so by default a call goes to the address
// its REGISTER came from (UDP: [Route].NextHop), or, over other
// transports, only to a contact whose host is that address. Otherwise a
// registered user, or anyone who has guessed a user's password, could
// point a contact at a PSTN gateway that trusts this server's address,
// and every caller allowed to reach that user, anonymous visitors
// included, would be bridged there (toll fraud), or at hosts inside the
// network.
type LocationRouter struct {
	// Locations is the registrar's store. Required.
	Locations LocationStore
	// Domain restricts routing to this host. If empty, any in-policy
	// host is looked up as user@host.
	Domain string
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
	// TrustContacts sends calls to the host each contact names, as the
	// device wrote it. Set it only when every registered device is
	// trusted and reachable at the address in its contact.
	TrustContacts bool
}

var _ Router = (*LocationRouter)(nil)

// Route implements [Router].
func (r *LocationRouter) Route(ctx context.Context, req RouteRequest) (Route, error) {
	d := req.Destination
	if d.PSTN || d.Host == "" || (r.Domain != "" && !strings.EqualFold(d.Host, r.Domain)) {
		return Route{}, ErrNoRoute
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	bs, err := r.Locations.Lookup(ctx, d.User+"@"+strings.ToLower(d.Host), now())
	if err != nil {
		return Route{}, fmt.Errorf("sip: location lookup: %w", err)
	}
	for _, b := range bs {
		if r.TrustContacts {
			return Route{Target: b.Contact}, nil
		}
		if rt, ok := routeToSource(b); ok {
			return rt, nil
		}
	}
	return Route{}, ErrUnavailable
}

// routeToSource is the route to b that reaches only the address its
// REGISTER came from; ok is false when there is none (no recorded source,
// or a contact naming another host over a transport that cannot be sent
// to the source's port).
func routeToSource(b Binding) (rt Route, ok bool) {
	transport, addr, _ := strings.Cut(b.Source, ":")
	src, err := netip.ParseAddrPort(addr)
	if err != nil || src.Port() == 0 {
		return Route{}, false
	}
	if transport == "udp" {
		return Route{Target: b.Contact, NextHop: src.String()}, true
	}
	// A stream's source port is the device's ephemeral one: reach the
	// contact itself, and only if it is the device's own address.
	var u sipgosip.Uri
	if sipgosip.ParseUri(b.Contact, &u) != nil {
		return Route{}, false
	}
	host, err := uriIP(u)
	if err != nil || host != src.Addr().Unmap() {
		return Route{}, false
	}
	return Route{Target: b.Contact}, true
}
