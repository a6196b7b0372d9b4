package demodest

import (
	"log/slog"
	"time"
)

// Config configures a [Destination]. The zero value is a working loopback
// demo: a free port on 127.0.0.1, user "demo", immediate answer.
type Config struct {
	// Addr is the UDP address ("ip:port") the SIP user agent listens on.
	// The IP must be a specific address, since it is written into Contact
	// and SDP. If empty, "127.0.0.1:0" (a free loopback port).
	Addr string
	// User is the Request-URI user the destination answers; INVITEs for
	// anyone else get 404. If empty, "demo".
	User string
	// RingFor is how long the destination rings (180 Ringing) before it
	// answers. If zero, it answers right after the 180.
	RingFor time.Duration
	// MaxCalls caps concurrent calls; more get 486 Busy Here. If zero, 4.
	MaxCalls int
	// MaxDuration ends a call with BYE after this long. If zero, 10 minutes.
	MaxDuration time.Duration
	// Quiet turns the chime off, so the caller hears only the echo of
	// their own audio. If false, the chime plays.
	Quiet bool
	// OnEvent, if set, is called for each call event (answered, DTMF
	// digit, ended) from the call's goroutines. It must not block for long.
	OnEvent func(Event)
	// Logger receives the destination's logs and sipgo's. If nil, logs are
	// discarded.
	Logger *slog.Logger
}

// EventType says what happened in an [Event].
type EventType int

const (
	// EventAnswered: the destination sent 200 OK and got the ACK.
	EventAnswered EventType = iota + 1
	// EventDigit: an RFC 4733 DTMF event arrived; Event.Digit says which.
	EventDigit
	// EventEnded: the call is over; Event.Reason says why.
	EventEnded
)

// String names the event type.
func (t EventType) String() string {
	switch t {
	case EventAnswered:
		return "answered"
	case EventDigit:
		return "digit"
	case EventEnded:
		return "ended"
	}
	return "unknown"
}

// Reasons a call ended, in Event.Reason.
const (
	ReasonRemoteBye   = "remote bye"   // the caller sent BYE
	ReasonClosed      = "closed"       // Close sent BYE
	ReasonMaxDuration = "max duration" // MaxDuration elapsed; BYE sent
	ReasonFailed      = "failed"       // the answer was never acknowledged
)

// Event is one thing that happened on a call.
type Event struct {
	Type   EventType
	CallID string
	// From is the caller's From URI.
	From string
	// Digit is the DTMF key ('0'-'9', '*', '#', 'A'-'D') of an EventDigit.
	Digit rune
	// Reason is why an EventEnded call ended (one of the Reason* values).
	Reason string
}

// Stats are counters over the destination's lifetime.
type Stats struct {
	Calls       int    // calls answered
	Active      int    // calls in progress
	RTPReceived uint64 // RTP packets received, audio and DTMF
	RTPSent     uint64 // RTP packets sent
	Digits      string // DTMF keys received, in order, all calls
	ByeReceived int    // BYE requests answered with 200
	ByeSent     int    // BYE requests the destination sent that got 200
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
	if c.User == "" {
		c.User = "demo"
	}
	if c.MaxCalls == 0 {
		c.MaxCalls = 4
	}
	if c.MaxDuration == 0 {
		c.MaxDuration = 10 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
