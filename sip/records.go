package sip

import (
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/webdial/webdial/anon"
)

// RecordEvent says which moment of a call a [CallRecord] reports.
type RecordEvent string

// Call record events.
const (
	RecordStart  RecordEvent = "start"  // the call passed policy and limits
	RecordAnswer RecordEvent = "answer" // the outbound leg answered
	RecordEnd    RecordEvent = "end"    // the call is over (Cause says why)
)

// End causes in CallRecord.Cause.
const (
	CauseCallerHangup = "caller-hangup"
	CauseCalleeHangup = "callee-hangup"
	CauseCancelled    = "cancelled"
	CauseRingTimeout  = "ring-timeout"
	CauseMaxDuration  = "max-duration"
	CauseRejected     = "rejected"    // the callee answered non-2xx
	CauseNoRoute      = "no-route"    // the Router found no target
	CauseUnavailable  = "unavailable" // no dialer, dial failure, no ACK
	CauseShutdown     = "shutdown"
)

// CallRecord describes one call through the B2BUA. It never holds
// credentials, SDP or other message bodies.
type CallRecord struct {
	Event RecordEvent
	// ID is the server's id for the call (the inbound Call-ID).
	ID string
	// Class is the caller's class.
	Class anon.Class
	// Caller is the caller's identity (see RouteRequest.Caller).
	Caller string
	// Destination is the policy-checked destination.
	Destination string
	// Source is where the INVITE came from.
	Source netip.AddrPort
	// Start, Answer and End are set as the call reaches them.
	Start, Answer, End time.Time
	// Duration is End-Answer for answered calls, else zero.
	Duration time.Duration
	// Status is the final status sent to the caller (0 until known).
	Status int
	// Cause is one of the Cause* constants, set on RecordEnd.
	Cause string
}

func (st *state) record(r CallRecord) {
	attrs := []slog.Attr{
		slog.String("event", string(r.Event)), slog.String("id", r.ID),
		slog.String("class", r.Class.String()), slog.String("caller", r.Caller),
		slog.String("destination", r.Destination), slog.String("source", r.Source.String()),
	}
	if r.Status != 0 {
		attrs = append(attrs, slog.Int("status", r.Status))
	}
	if r.Event == RecordEnd {
		attrs = append(attrs, slog.String("cause", r.Cause), slog.Duration("duration", r.Duration))
	}
	st.log.LogAttrs(context.Background(), slog.LevelInfo, "sip: call", attrs...)
	if st.onRecord != nil {
		st.onRecord(r)
	}
}
