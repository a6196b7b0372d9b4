package demodest

import "errors"

var (
	// ErrConfig reports an unusable [Config] value.
	ErrConfig = errors.New("demodest: bad config")
	// ErrSDP reports an offer the destination cannot answer: unparsable,
	// without an audio stream, or without PCMU/PCMA.
	ErrSDP = errors.New("demodest: unusable sdp offer")
	// ErrClosed is returned by Run after Close.
	ErrClosed = errors.New("demodest: closed")
)
