package sip

import (
	"errors"
	"fmt"
)

// Errors returned by [Dialer.Dial] and [Call] methods. Test them with
// errors.Is; a non-2xx final response is a [*CallError] that matches
// ErrRejected and, where it applies, one of the narrower classes.
var (
	// ErrRejected matches every non-2xx final response to an INVITE.
	ErrRejected = errors.New("sip: call rejected")
	// ErrBusy matches 486 Busy Here and 600 Busy Everywhere.
	ErrBusy = errors.New("sip: callee busy")
	// ErrAuthFailed means the peer or a proxy challenged the INVITE again
	// after the dialer answered that realm's challenge (the credentials
	// were refused), or challenged when no usable credentials were given.
	ErrAuthFailed = errors.New("sip: authentication failed")
	// ErrRingTimeout means no final response arrived within
	// DialerConfig.RingTimeout; the INVITE was cancelled.
	ErrRingTimeout = errors.New("sip: ring timeout")
	// ErrNoResponse means the peer never answered the INVITE at all
	// (transaction timeout or transport error).
	ErrNoResponse = errors.New("sip: no response from peer")
	// ErrDialerClosed is returned by Dial after (or during) Dialer.Close.
	ErrDialerClosed = errors.New("sip: dialer closed")
	// ErrBadDialRequest means a DialRequest field is malformed (Target,
	// From or Proxy not parseable, missing SDP offer).
	ErrBadDialRequest = errors.New("sip: bad dial request")
	// ErrBadDialerConfig means a DialerConfig field is invalid.
	ErrBadDialerConfig = errors.New("sip: bad dialer config")
)

// CallError is a non-2xx final response to an INVITE sent by [Dialer.Dial].
type CallError struct {
	StatusCode int    // e.g. 486
	Reason     string // reason phrase as received, e.g. "Busy Here"
	// authFailed marks a 401/407 the dialer could not (or would not
	// again) answer.
	authFailed bool
}

func (e *CallError) Error() string {
	if e.authFailed {
		return fmt.Sprintf("sip: authentication failed: %d %s", e.StatusCode, e.Reason)
	}
	return fmt.Sprintf("sip: call rejected: %d %s", e.StatusCode, e.Reason)
}

// Is makes a CallError match ErrRejected, ErrBusy (486, 600) and
// ErrAuthFailed (a refused or unanswerable challenge).
func (e *CallError) Is(target error) bool {
	switch target {
	case ErrRejected:
		return true
	case ErrBusy:
		return e.StatusCode == 486 || e.StatusCode == 600
	case ErrAuthFailed:
		return e.authFailed
	}
	return false
}
