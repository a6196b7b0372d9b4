// Package hookwire is the JSON of the REST hooks that webrtc.HTTPHooks
// calls, named after reference 002's fields, and a backend answering them
// (used by examples/resthook and by the click-to-call tests).
//
// The gateway POSTs a [Request] to {base}/connect (may this page connect?)
// and to {base}/call (what does this call reach?). A backend refuses with
// 403 and allows /connect with 200; it answers /call with a [Decision] in
// which it sets, OVERWRITES, the callee and the SIP credentials. What the
// page asked for arrives as pageCallee and pageSipLogin, never under the
// answer's names, so echoing a request back cannot pass the page's choice
// off as the backend's.
package hookwire

import (
	"net"
	"strings"
)

// MaxBody bounds a hook request or response body.
const MaxBody = 64 << 10

// Request is the body of POST {base}/connect and POST {base}/call.
type Request struct {
	// SessionID is the gateway's call ID (only on /call).
	SessionID  string `json:"sessionId,omitempty"`
	Origin     string `json:"origin"`
	ClientAddr string `json:"clientAddr,omitempty"`
	UserAgent  string `json:"userAgent,omitempty"`
	// Subject and Destination come from the sealed call token.
	Subject     string `json:"subject,omitempty"`
	Destination string `json:"destination,omitempty"`
	// PageCallee and PageSIPLogin are what the page asked for: untrusted,
	// for the backend's logs.
	PageCallee   string `json:"pageCallee,omitempty"`
	PageSIPLogin string `json:"pageSipLogin,omitempty"`
}

// Decision is the answer to /call: whom to call, and how.
type Decision struct {
	// Callee is a SIP URI, or a bare user/number put into SIPDomain.
	Callee string `json:"callee,omitempty"`
	// Caller, if set, is the SIP From to use.
	Caller                string `json:"caller,omitempty"`
	SIPLogin              string `json:"sipLogin,omitempty"`
	SIPAuthenticationName string `json:"sipAuthenticationName,omitempty"`
	SIPPassword           string `json:"sipPassword,omitempty"`
	SIPDomain             string `json:"sipDomain,omitempty"`
	SIPOutboundProxy      string `json:"sipOutboundProxy,omitempty"`
	SIPPort               string `json:"sipPort,omitempty"`
}

// CalleeURI is the callee the gateway will dial, computed as
// webrtc.HTTPHooks does: a value with a scheme (sip:, sips:, tel:) as it
// is, a bare user or number as sip:callee@sipDomain. Empty if there is no
// callee, or no domain for a bare one.
func (d Decision) CalleeURI() string {
	callee := strings.TrimSpace(d.Callee)
	switch {
	case callee == "":
		return ""
	case strings.Contains(callee, ":"):
		return callee
	case d.SIPDomain == "":
		return ""
	}
	return "sip:" + callee + "@" + d.SIPDomain
}

// AuthUser is the digest username: sipAuthenticationName when set, else
// sipLogin.
func (d Decision) AuthUser() string {
	if d.SIPAuthenticationName != "" {
		return d.SIPAuthenticationName
	}
	return d.SIPLogin
}

// Proxy is the outbound proxy with sipPort appended when it has no port,
// or empty.
func (d Decision) Proxy() string {
	if d.SIPOutboundProxy == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(d.SIPOutboundProxy); err == nil || d.SIPPort == "" {
		return d.SIPOutboundProxy
	}
	return net.JoinHostPort(d.SIPOutboundProxy, d.SIPPort)
}
