package pagemsg

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestWaitState(t *testing.T) {
	var l Log
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan Message, 1)
	go func() {
		m, err := l.WaitState(ctx, "answered", nil, nil)
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	l.AddJSON([]byte(`{"type":"state","state":"ringing"}`))
	l.AddJSON([]byte(`not json`))
	l.AddJSON([]byte(`{"type":"state","state":"answered","reason":"r"}`))
	if m := <-got; m.State != "answered" || m.Reason != "r" {
		t.Fatalf("WaitState returned %+v", m)
	}
	if ms := l.Messages(); len(ms) != 2 || ms[0].State != "ringing" {
		t.Fatalf("Messages %+v, want ringing then answered (the malformed one dropped)", ms)
	}
	// Already there: no wait.
	if m, err := l.WaitState(ctx, "ringing", nil, nil); err != nil || m.State != "ringing" {
		t.Fatalf("%+v, %v", m, err)
	}
}

func TestWaitStateEnds(t *testing.T) {
	var l Log
	closed := make(chan struct{})
	close(closed)
	errGone := errors.New("gone")
	if _, err := l.WaitState(context.Background(), "answered", closed, errGone); err != errGone {
		t.Fatalf("closed: %v, want errGone", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.WaitState(ctx, "answered", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
