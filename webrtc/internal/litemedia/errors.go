package litemedia

import "errors"

var (
	// ErrBadOffer wraps every reason an SDP offer is refused.
	ErrBadOffer = errors.New("litemedia: bad offer")
	// ErrNoAudio means the offer has no G.711 audio stream.
	ErrNoAudio = errors.New("litemedia: offer has no G.711 audio")
	// ErrFingerprint means the page's DTLS certificate does not match the
	// a=fingerprint of its offer (a man in the middle, or a broken page).
	ErrFingerprint = errors.New("litemedia: peer certificate does not match the offer's fingerprint")
	// ErrNoSRTPProfile means DTLS finished without negotiating use_srtp.
	ErrNoSRTPProfile = errors.New("litemedia: no srtp profile negotiated")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("litemedia: transport closed")
	// ErrNotConnected is returned by WriteRTP before Connect succeeded.
	ErrNotConnected = errors.New("litemedia: not connected")
	// ErrNoDataChannel is returned by AcceptDataChannel when the offer had
	// no data-channel section.
	ErrNoDataChannel = errors.New("litemedia: offer has no data channel")
	// ErrBadPacket is returned by WriteRTP for a packet that is not RTP.
	ErrBadPacket = errors.New("litemedia: not an rtp packet")
)
