// Package webdial is an embeddable Go SDK for secure click-to-call: a
// website visitor presses "Call", the browser opens a WebRTC call, and a Go
// server that embeds webdial bridges it into SIP toward a destination the
// server chose. The visitor never sees SIP credentials and can never steer
// the call to a number that costs the site owner money.
//
// This package holds documentation only. The work is done by small
// packages that an application combines:
//
//   - [github.com/webdial/webdial/digest]: SIP and HTTP Digest
//     authentication (RFC 7616, RFC 8760) with stateless, replay-proof
//     nonces, for servers and clients.
//   - [github.com/webdial/webdial/anon]: anonymous visitor identities
//     (anonymous.<random>@anonymous.invalid) and the destination policy
//     that keeps anonymous and unauthenticated callers inside the site's
//     own SIP domain and away from the PSTN.
//   - [github.com/webdial/webdial/token]: short-lived, authenticated call
//     tokens (XChaCha20-Poly1305), exact Origin allow-lists, TURN REST
//     credentials, a token-issuing HTTP handler, and Kandy-compatible
//     legacy tokens for existing deployments.
//   - [github.com/webdial/webdial/sip]: the SIP edge on sipgo: a
//     digest-authenticating registrar, caller classes, a policy-checked
//     B2BUA, abuse limits, call records, and a Dialer that places
//     outbound calls with server-held credentials.
//   - [github.com/webdial/webdial/webrtc]: the browser-to-SIP gateway on
//     pion: a WHIP-shaped http.Handler, connect and call hooks that
//     overwrite whatever the page asked for, G.711 media and RFC 4733 DTMF.
//   - examples: runnable programs; go run ./examples/clicktocall starts a
//     complete server with a page and an embedded demo destination.
//
// A click-to-call server issues a call token to pages from allowed origins
// (token), accepts the page's WebRTC offer with that token (webrtc), lets
// server-side hooks choose the callee and credentials, checks the callee
// against the destination policy (anon), and places the SIP call with
// digest authentication (sip, digest).
package webdial
