package sip

import (
	"errors"
	"fmt"
)

// Sentinel errors of the server side (registrar, INVITE handling, B2BUA).
// Test them with errors.Is; each maps to one SIP status in the handlers.
var (
	// ErrConfig indicates a Server field that cannot work as set (for
	// example an empty Domain, or no address to listen on).
	ErrConfig = errors.New("sip: invalid server configuration")
	// ErrServerRunning indicates a second Run or Serve on one Server.
	ErrServerRunning = errors.New("sip: server already running")
	// ErrTooManyBindings indicates a REGISTER that would exceed the cap on
	// bindings per address of record (423-like; answered 403).
	ErrTooManyBindings = errors.New("sip: too many bindings for address of record")
	// ErrBadRequest indicates a request missing or garbling a header the
	// server needs (answered 400).
	ErrBadRequest = errors.New("sip: bad request")
	// ErrNoRoute indicates that the Router found no target for an
	// allowed destination (answered 404 or 480).
	ErrNoRoute = errors.New("sip: no route to destination")
	// ErrUnavailable indicates a known destination that cannot be reached
	// now (a user with no live registration; answered 480). It wraps
	// ErrNoRoute.
	ErrUnavailable = fmt.Errorf("%w: temporarily unavailable", ErrNoRoute)
)
