package digest

import (
	"context"
	"sync"
	"time"
)

// ReplayCache remembers which nonce counts were used per nonce. Implement
// it to share replay state between instances (for example in Redis); the
// default is a bounded in-memory [MemoryReplayCache].
type ReplayCache interface {
	// Use records that nonce id was used with count nc and reports
	// whether the pair is fresh (never used before). Implementations may
	// also refuse counts far below the highest seen. Requests without
	// qop use nc 0, which makes such a nonce single-use. expires is when the nonce stops being accepted;
	// the entry may be forgotten after it. An implementation that has
	// forgotten a nonce before expires must answer false (the client
	// then gets stale=true and retries with a new nonce) rather than
	// accept a possible replay.
	Use(ctx context.Context, id NonceID, nc uint32, expires time.Time) (fresh bool, err error)
}

// DefaultReplayCapacity is the number of nonces a [MemoryReplayCache]
// created with capacity 0 remembers (about 5 MB).
const DefaultReplayCapacity = 1 << 16

// ReplayWindow is how far below the highest nonce count seen a
// [MemoryReplayCache] still accepts an unused count. Concurrent HTTP
// requests and SIP over UDP can arrive out of order, so a strict
// "greater than the last" rule (Kamailio's) would reject honest clients;
// a sliding bitmap, as in IPsec anti-replay, accepts reordering and still
// refuses every reuse.
const ReplayWindow = 64

// MemoryReplayCache is a fixed-capacity in-memory [ReplayCache]. When
// full it evicts the oldest entry and from then on refuses nonces that
// expire no later than the evicted one, so memory stays flat under load
// and eviction never re-opens a replay window.
type MemoryReplayCache struct {
	mu sync.Mutex
	// index maps a nonce to its slot, so a request costs one map lookup.
	index     map[NonceID]int
	slots     []replaySlot // a ring in insertion order; slots[head] is the oldest
	head, n   int
	watermark time.Time // nonces expiring at or before this may have been evicted
}

type replaySlot struct {
	id NonceID
	replayEntry
}

type replayEntry struct {
	max     uint32 // highest count seen
	seen    uint64 // bit i set: count max-i was used
	expires time.Time
}

// use applies the window rule to e.
func (e *replayEntry) use(nc uint32) bool {
	switch {
	case nc > e.max:
		if d := nc - e.max; d >= ReplayWindow {
			e.seen = 1
		} else {
			e.seen = e.seen<<d | 1
		}
		e.max = nc
		return true
	case e.max-nc >= ReplayWindow:
		return false
	}
	bit := uint64(1) << (e.max - nc)
	if e.seen&bit != 0 {
		return false
	}
	e.seen |= bit
	return true
}

var _ ReplayCache = (*MemoryReplayCache)(nil)

// NewMemoryReplayCache returns a cache that remembers up to capacity
// nonces. If capacity is 0, DefaultReplayCapacity is used.
func NewMemoryReplayCache(capacity int) *MemoryReplayCache {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	return &MemoryReplayCache{
		index: make(map[NonceID]int, capacity),
		slots: make([]replaySlot, capacity),
	}
}

// Use implements [ReplayCache]. It never blocks and ignores ctx.
func (c *MemoryReplayCache) Use(_ context.Context, id NonceID, nc uint32, expires time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[id]; ok {
		return c.slots[i].use(nc), nil
	}
	if !expires.After(c.watermark) {
		return false, nil
	}
	if c.n == len(c.slots) {
		old := &c.slots[c.head]
		if old.expires.After(c.watermark) {
			c.watermark = old.expires
		}
		delete(c.index, old.id)
		c.head = (c.head + 1) % len(c.slots)
		c.n--
	}
	i := (c.head + c.n) % len(c.slots)
	c.slots[i] = replaySlot{id: id, replayEntry: replayEntry{max: nc, seen: 1, expires: expires}}
	c.index[id] = i
	c.n++
	return true, nil
}

// Len reports how many nonces the cache currently remembers.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
