package webrtc

import (
	"context"
	"net/netip"
)

// ConnectRequest is what a [ConnectHook] learns about a page before its
// call token is opened.
type ConnectRequest struct {
	// Origin is the page's Origin header exactly as sent.
	Origin string
	// ClientAddr is the TCP peer of the HTTP request.
	ClientAddr netip.Addr
	// UserAgent is the page's User-Agent header.
	UserAgent string
}

// ConnectHook decides whether a page may connect at all. Returning any
// error refuses the page with 403 Forbidden (or the error's own status when
// it wraps one of this package's sentinels).
type ConnectHook interface {
	Connect(ctx context.Context, r ConnectRequest) error
}

// ConnectFunc adapts a function to [ConnectHook].
type ConnectFunc func(ctx context.Context, r ConnectRequest) error

// Connect calls f.
func (f ConnectFunc) Connect(ctx context.Context, r ConnectRequest) error { return f(ctx, r) }

// CallRequest is what a [CallHook] learns about a call attempt. Fields named
// Page* come from the page and are untrusted: they are passed on only so a
// backend can log or inspect them; nothing in them is ever dialled or used
// as a credential unless the hook returns it in its [CallDecision].
type CallRequest struct {
	// CallID is the gateway's identifier of the call (the last element of
	// its Location).
	CallID string
	// Origin and ClientAddr are as in [ConnectRequest].
	Origin     string
	ClientAddr netip.Addr
	// Subject and Destination come from the authenticated call token (empty
	// when tokens are disabled).
	Subject, Destination string
	// PageCallee, PageLogin and PagePassword are what the page asked for in
	// the query string (callee, sipLogin, sipPassword).
	PageCallee, PageLogin, PagePassword string
}

// CallDecision is the server's verdict on a call. It overwrites everything
// the page sent (reference 002's OVERWRITE policy).
type CallDecision struct {
	// Callee is the sip:, sips: or tel: URI to call; it must still pass
	// Config.Policy. If empty, the token's Destination is used; if that is
	// empty too the call is refused.
	Callee string
	// From is the SIP From (URI or name-addr). If empty, the visitor's
	// anonymous identity: the token's Subject when it is a SIP URI, else a
	// fresh one from anon.NewIdentity.
	From string
	// SIPLogin and SIPPassword answer the SIP server's digest challenges.
	// If empty, the call is placed without credentials.
	SIPLogin, SIPPassword string
	// Proxy is the outbound proxy "host:port". If empty, Config.Proxy.
	Proxy string
}

// CallHook decides what a call reaches and with which credentials.
// Returning an error refuses the call with 403 (or the status of the
// package sentinel it wraps).
type CallHook interface {
	Call(ctx context.Context, r CallRequest) (CallDecision, error)
}

// CallFunc adapts a function to [CallHook].
type CallFunc func(ctx context.Context, r CallRequest) (CallDecision, error)

// Call calls f.
func (f CallFunc) Call(ctx context.Context, r CallRequest) (CallDecision, error) { return f(ctx, r) }
