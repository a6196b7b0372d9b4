package leanpage

import (
	"errors"
	"strconv"

	"github.com/webdial/webdial/webrtc/internal/litemedia"
)

var (
	// ErrStatus wraps a POST or DELETE answered with an unexpected HTTP
	// status (see StatusError).
	ErrStatus = errors.New("leanpage: unexpected http status")
	// ErrBadAnswer wraps every reason the gateway's SDP answer is refused.
	ErrBadAnswer = errors.New("leanpage: bad answer")
	// ErrFingerprint means the gateway's DTLS certificate does not match
	// the answer's a=fingerprint.
	ErrFingerprint = errors.New("leanpage: gateway certificate does not match the answer's fingerprint")
	// ErrICE means no connectivity check succeeded before ctx ended.
	ErrICE = errors.New("leanpage: ice connectivity checks failed")
	// ErrNoSRTPProfile means DTLS finished without negotiating use_srtp.
	// It is litemedia's error: the keys are derived there for both roles.
	ErrNoSRTPProfile = litemedia.ErrNoSRTPProfile
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("leanpage: closed")
)

// StatusError is a POST or DELETE answered with an unexpected status; it
// matches ErrStatus with errors.Is.
type StatusError struct{ Code int }

func (e *StatusError) Error() string { return "leanpage: http status " + strconv.Itoa(e.Code) }

// Is makes errors.Is(err, ErrStatus) true.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }
