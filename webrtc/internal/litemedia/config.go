package litemedia

import (
	"log/slog"
	"net/netip"
	"time"
)

// Config is one call's transport configuration. The zero value is usable
// for a loopback test: 127.0.0.1, a fresh certificate, packets dropped.
type Config struct {
	// Addr is the local IP the call's UDP socket binds to and advertises
	// as its only host candidate. Zero: 127.0.0.1.
	Addr netip.Addr
	// Mux, if set, is the shared socket the call uses instead of a socket
	// of its own (Addr is then ignored: the candidate is Mux.LocalAddr).
	// Closing the call never closes the Mux. Nil: one socket per call.
	Mux *Mux
	// Certificate is the DTLS identity. Nil: a fresh self-signed one for
	// this transport (costs an ECDSA key generation per call; share one).
	Certificate *Certificate
	// OnRTP receives every decrypted RTP packet from the page (header and
	// payload) on the transport's reader goroutine, so it must not block;
	// pkt is reused when it returns. Nil: packets are counted and dropped.
	OnRTP func(pkt []byte)
	// Now is the clock for consent freshness. Nil: time.Now.
	Now func() time.Time
	// Logger gets debug messages (never keys). Nil: nothing is logged.
	Logger *slog.Logger
}

// Stats are the transport's packet counters.
type Stats struct {
	PacketsIn  uint64 // SRTP packets decrypted and handed to OnRTP
	PacketsOut uint64 // RTP packets encrypted and sent
	Dropped    uint64 // SRTP packets that failed authentication or replay checks
	RTCPIn     uint64 // SRTCP packets received (not decrypted: nothing consumes RTCP)
}
