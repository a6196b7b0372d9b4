package token

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestMemoryReplayStore(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	m := NewMemoryReplayStore(3)
	m.Now = clk.Now
	use := func(id string, ttl time.Duration) (bool, error) { return m.Use(ctx, id, clk.t.Add(ttl)) }

	for i, ttl := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
		if first, err := use(fmt.Sprint(i), ttl); !first || err != nil {
			t.Fatalf("id %d: %v %v", i, first, err)
		}
	}
	if first, err := use("1", time.Minute); first || err != nil {
		t.Fatalf("replay of 1: %v %v", first, err)
	}
	// Full, nothing expired: fail closed.
	if _, err := use("x", time.Minute); !errors.Is(err, ErrReplayStoreFull) {
		t.Fatalf("full store: %v", err)
	}
	// After the first entry expires there is room for one.
	clk.Advance(time.Minute)
	if first, err := use("x", time.Minute); !first || err != nil {
		t.Fatalf("after expiry: %v %v", first, err)
	}
	if m.Len() != 3 {
		t.Fatalf("len %d", m.Len())
	}
	if _, err := use("y", time.Minute); !errors.Is(err, ErrReplayStoreFull) {
		t.Fatalf("full again: %v", err)
	}
	// The periodic sweep empties the store once everything has expired.
	clk.Advance(time.Hour)
	if first, err := use("z", time.Minute); !first || err != nil {
		t.Fatal(first, err)
	}
	if m.Len() != 1 {
		t.Fatalf("not swept: len %d", m.Len())
	}
	// An expired entry for the same ID counts as unused (its token is dead).
	clk.Advance(2 * time.Minute)
	if first, _ := use("z", time.Minute); !first {
		t.Fatal("expired entry still blocks")
	}
}

func TestMemoryLimiter(t *testing.T) {
	clk := &fakeClock{time.Unix(1_800_000_000, 0)}
	l := NewMemoryLimiter(60, 2, 2) // one a second, burst 2, two clients
	l.Now = clk.Now
	want := func(client string, ok bool) {
		t.Helper()
		if got := l.Allow(client); got != ok {
			t.Fatalf("Allow(%q) = %v, want %v", client, got, ok)
		}
	}
	want("a", true)
	want("a", true)
	want("a", false) // burst spent
	want("b", true)
	want("c", false) // table full, nobody idle
	clk.Advance(time.Second)
	want("a", true) // refilled one
	want("a", false)
	want("c", true)  // b refilled to its burst, so it was forgotten
	want("d", false) // a and c busy
	clk.Advance(500 * time.Millisecond)
	want("d", false) // no sweep within a second of the last
	clk.Advance(3 * time.Second)
	want("d", true)
}
