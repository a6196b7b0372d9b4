// Package hookwire is a backend answering the REST hooks that
// webrtc.HTTPHooks calls (reference 002's /connect and /call), used by
// examples/resthook and by the click-to-call tests. The JSON itself is
// webrtc's: [Request] and [Decision] are its HookRequest and HookResponse.
//
// The gateway POSTs a [Request] to {base}/connect (may this page connect?)
// and to {base}/call (what does this call reach?). A backend refuses with
// 403 and allows /connect with 200; it answers /call with a [Decision] in
// which it sets, OVERWRITES, the callee and the SIP credentials. What the
// page asked for arrives as pageCallee and pageSipLogin, never under the
// answer's names, so echoing a request back cannot pass the page's choice
// off as the backend's.
package hookwire

import "github.com/webdial/webdial/webrtc"

// MaxBody bounds a hook request or response body.
const MaxBody = 64 << 10

// Request is the body of POST {base}/connect and POST {base}/call.
type Request = webrtc.HookRequest

// Decision is the answer to /call: whom to call, and how. Its Decision
// method gives the callee, login and proxy the gateway will use.
type Decision = webrtc.HookResponse
