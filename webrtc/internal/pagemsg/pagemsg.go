// Package pagemsg is the gateway's control-channel messages as the test
// page clients (pageclient, leanpage) receive them: the message type and a
// log that callers wait on. It is not part of the public API.
package pagemsg

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Message is a control-channel message.
type Message struct {
	Type   string `json:"type"`
	State  string `json:"state,omitempty"`
	Reason string `json:"reason,omitempty"`
	Digits string `json:"digits,omitempty"`
}

// Log records the messages a page received. The zero value is ready.
type Log struct {
	mu    sync.Mutex
	msgs  []Message
	added chan struct{} // closed and replaced on each message
}

// AddJSON records one message; one that does not decode is dropped, as a
// page would ignore it.
func (l *Log) AddJSON(b []byte) {
	var m Message
	if json.Unmarshal(b, &m) != nil {
		return
	}
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	if l.added != nil {
		close(l.added)
		l.added = nil
	}
	l.mu.Unlock()
}

// Messages returns the messages received so far.
func (l *Log) Messages() []Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Message(nil), l.msgs...)
}

// WaitState waits until a "state" message with the given state arrived
// and returns it. If closed is closed first, it returns closedErr (a nil
// closed never is).
func (l *Log) WaitState(ctx context.Context, state string, closed <-chan struct{}, closedErr error) (Message, error) {
	for {
		l.mu.Lock()
		for _, m := range l.msgs {
			if m.Type == "state" && m.State == state {
				l.mu.Unlock()
				return m, nil
			}
		}
		if l.added == nil {
			l.added = make(chan struct{})
		}
		ch := l.added
		l.mu.Unlock()
		select {
		case <-ch:
		case <-closed:
			return Message{}, closedErr
		case <-ctx.Done():
			return Message{}, fmt.Errorf("waiting for state %q: %w (got %v)", state, ctx.Err(), l.Messages())
		}
	}
}
