package webrtc

import (
	"errors"
	"net/http"
)

// Errors returned by the Gateway. Each refusal of a call attempt wraps one of
// them; [StatusCode] maps them to the HTTP status the page receives.
var (
	// ErrConfig indicates an unusable [Config].
	ErrConfig = errors.New("webrtc: bad configuration")
	// ErrForbiddenOrigin indicates a page whose Origin is not allowed.
	ErrForbiddenOrigin = errors.New("webrtc: origin not allowed")
	// ErrUnauthorized indicates a missing, invalid, expired, replayed or
	// wrong-origin call token.
	ErrUnauthorized = errors.New("webrtc: call token refused")
	// ErrForbidden indicates a call the call hook or the destination
	// policy refused.
	ErrForbidden = errors.New("webrtc: call refused")
	// ErrBadOffer indicates a body that is not a usable SDP offer (no audio,
	// no G.711 codec, malformed, too large).
	ErrBadOffer = errors.New("webrtc: bad sdp offer")
	// ErrUnsupportedMedia indicates a Content-Type other than application/sdp.
	ErrUnsupportedMedia = errors.New("webrtc: content type must be application/sdp")
	// ErrTooManyCalls indicates a per-origin or per-client call limit.
	ErrTooManyCalls = errors.New("webrtc: too many calls from this client or origin")
	// ErrOverloaded indicates the global call limit, or a gateway that is
	// closing.
	ErrOverloaded = errors.New("webrtc: gateway at capacity")
	// ErrHookBackend indicates that an HTTP hook backend could not be
	// reached or answered badly.
	ErrHookBackend = errors.New("webrtc: hook backend failed")
	// ErrNoCall indicates a call resource that does not exist (any more).
	ErrNoCall = errors.New("webrtc: no such call")
	// ErrClosed indicates a Gateway after Close.
	ErrClosed = errors.New("webrtc: gateway closed")
	// ErrSIPAnswer indicates a SIP answer without a usable audio stream.
	ErrSIPAnswer = errors.New("webrtc: unusable sip answer sdp")
	// ErrDTMF indicates a DTMF digit outside 0-9, *, #, A-D, or a SIP leg
	// that did not accept telephone-event.
	ErrDTMF = errors.New("webrtc: dtmf not possible")
)

// StatusCode returns the HTTP status for an error returned while admitting a
// call: 400, 401, 403, 404, 415, 429 or 503; 500 for anything else.
func StatusCode(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrBadOffer):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbiddenOrigin), errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrNoCall):
		return http.StatusNotFound
	case errors.Is(err, ErrUnsupportedMedia):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, ErrTooManyCalls):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrOverloaded), errors.Is(err, ErrClosed), errors.Is(err, ErrHookBackend):
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
