package sip

import (
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipgosip "github.com/emiago/sipgo/sip"
)

// bridgedCall is one call through the B2BUA: the caller's dialog (in) and
// the outbound leg placed with the Dialer (out, nil until answered).
type bridgedCall struct {
	in *sipgo.DialogServerSession
}

// dialogs tracks live bridged calls by the inbound dialog id, and the
// handlers still running, so shutdown can end every call and wait.
type dialogs struct {
	mu      sync.Mutex
	byID    map[string]*bridgedCall
	running int
	closed  bool
	idle    chan struct{} // closed when closed && running == 0
}

func newDialogs() *dialogs {
	return &dialogs{byID: make(map[string]*bridgedCall), idle: make(chan struct{})}
}

// enter reserves a slot for a call handler; false once shutting down.
func (d *dialogs) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.running++
	return true
}

func (d *dialogs) leave() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.running--
	if d.closed && d.running == 0 {
		close(d.idle)
	}
}

func (d *dialogs) add(id string, b *bridgedCall) {
	d.mu.Lock()
	d.byID[id] = b
	d.mu.Unlock()
}

func (d *dialogs) remove(id string) {
	d.mu.Lock()
	delete(d.byID, id)
	d.mu.Unlock()
}

func (d *dialogs) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.byID)
}

// match finds the bridged call an in-dialog request belongs to.
func (d *dialogs) match(req *sipgosip.Request) *bridgedCall {
	id, err := sipgosip.DialogIDFromRequestUAS(req)
	if err != nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byID[id]
}

// hangupAll refuses new calls, ends the live ones and waits (bounded) for
// their handlers to finish.
func (d *dialogs) hangupAll(wait time.Duration) {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		if d.running == 0 {
			close(d.idle)
		}
	}
	d.mu.Unlock()
	select {
	case <-d.idle:
	case <-time.After(wait):
	}
}
