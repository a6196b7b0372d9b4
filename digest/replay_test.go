package digest

import (
	"testing"
	"time"
)

func TestReplayWindow(t *testing.T) {
	c := NewMemoryReplayCache(4)
	id := NonceID{1}
	exp := time.Unix(1000, 0)
	use := func(nc uint32) bool {
		ok, err := c.Use(t.Context(), id, nc, exp)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	steps := []struct {
		nc   uint32
		want bool
	}{{1, true}, {1, false}, {3, true}, {2, true}, {2, false}, {3, false}, {200, true}, {150, true}, {136, false}, {137, true}, {150, false}}
	for _, s := range steps {
		if got := use(s.nc); got != s.want {
			t.Fatalf("nc=%d: fresh=%v, want %v", s.nc, got, s.want)
		}
	}
}

func TestReplayCacheBoundedAndSafeEviction(t *testing.T) {
	c := NewMemoryReplayCache(3)
	base := time.Unix(1000, 0)
	for i := range 10 {
		ok, _ := c.Use(t.Context(), NonceID{byte(i)}, 1, base.Add(time.Duration(i)*time.Second))
		if !ok {
			t.Fatalf("nonce %d refused", i)
		}
		if c.Len() > 3 {
			t.Fatalf("len %d > capacity", c.Len())
		}
	}
	// Nonce 0 was evicted: its replay must still be refused.
	if ok, _ := c.Use(t.Context(), NonceID{0}, 1, base); ok {
		t.Fatal("replay of an evicted nonce accepted")
	}
	// A never-seen nonce expiring before the watermark is refused too
	// (the client gets stale=true and a new nonce)...
	if ok, _ := c.Use(t.Context(), NonceID{99}, 1, base.Add(3*time.Second)); ok {
		t.Fatal("possibly evicted nonce accepted")
	}
	// ...while a newer one is accepted.
	if ok, _ := c.Use(t.Context(), NonceID{100}, 1, base.Add(time.Hour)); !ok {
		t.Fatal("new nonce refused")
	}
	if len(c.index) != 3 {
		t.Fatalf("map holds %d entries", len(c.index))
	}
}
