// Package hookwire is the JSON the click-to-call examples exchange with a
// REST hook backend, named after reference 002's fields (sessionId, origin,
// callee, sipLogin, sipAuthenticationName, sipPassword, sipDomain,
// sipOutboundProxy, sipPort). The gateway POSTs a [Connect] to {base}/connect
// and a [Call] to {base}/call; the backend answers 403 to refuse, or 200
// with the Call in which it OVERWRITES callee and the SIP credentials.
package hookwire

import (
	"net"
	"strings"
)

// MaxBody bounds a hook request or response body.
const MaxBody = 64 << 10

// Connect is the body of POST {base}/connect: may this page connect at all?
type Connect struct {
	SessionID  string `json:"sessionId,omitempty"`
	Origin     string `json:"origin"`
	ClientAddr string `json:"clientAddr,omitempty"`
	UserAgent  string `json:"userAgent,omitempty"`
}

// Call is the body of POST {base}/call and of the backend's answer. In the
// request, Callee is what the page or its token asked for (untrusted) and
// the SIP fields are empty; the answer carries the backend's values.
type Call struct {
	CallID     string `json:"callId,omitempty"`
	SessionID  string `json:"sessionId,omitempty"`
	Origin     string `json:"origin"`
	ClientAddr string `json:"clientAddr,omitempty"`
	// Caller is the visitor's identity from the call token.
	Caller string `json:"caller,omitempty"`
	// From, if set in the answer, is the SIP From to use.
	From   string `json:"from,omitempty"`
	Callee string `json:"callee,omitempty"`

	SIPLogin              string `json:"sipLogin,omitempty"`
	SIPAuthenticationName string `json:"sipAuthenticationName,omitempty"`
	SIPPassword           string `json:"sipPassword,omitempty"`
	SIPDomain             string `json:"sipDomain,omitempty"`
	SIPOutboundProxy      string `json:"sipOutboundProxy,omitempty"`
	SIPPort               string `json:"sipPort,omitempty"`
}

// CalleeURI is the callee as a URI: a sip:, sips: or tel: URI is used as
// is; a bare user or number becomes sip:callee@sipDomain[:sipPort], as in
// reference 002 where callee is "10002". Empty if there is no callee, or no
// domain to put a bare one in.
func (c Call) CalleeURI() string {
	callee := strings.TrimSpace(c.Callee)
	lower := strings.ToLower(callee)
	switch {
	case callee == "":
		return ""
	case strings.HasPrefix(lower, "sip:"), strings.HasPrefix(lower, "sips:"), strings.HasPrefix(lower, "tel:"):
		return callee
	case c.SIPDomain == "":
		return ""
	}
	host := c.SIPDomain
	if c.SIPPort != "" && c.SIPOutboundProxy == "" {
		host = net.JoinHostPort(host, c.SIPPort)
	}
	return "sip:" + callee + "@" + host
}

// AuthUser is the digest username: sipAuthenticationName when set, else
// sipLogin.
func (c Call) AuthUser() string {
	if c.SIPAuthenticationName != "" {
		return c.SIPAuthenticationName
	}
	return c.SIPLogin
}

// Proxy is the outbound proxy "host:port" (sipPort, else 5060), or empty.
func (c Call) Proxy() string {
	if c.SIPOutboundProxy == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(c.SIPOutboundProxy); err == nil {
		return c.SIPOutboundProxy
	}
	port := c.SIPPort
	if port == "" {
		port = "5060"
	}
	return net.JoinHostPort(c.SIPOutboundProxy, port)
}
