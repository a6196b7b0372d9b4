package digest

import (
	"context"
	"sync"
	"time"
)

// ReplayCache remembers the highest nonce count seen per nonce. Implement
// it to share replay state between instances (for example in Redis); the
// default is a bounded in-memory [MemoryReplayCache].
type ReplayCache interface {
	// Use records that nonce id was used with count nc and reports
	// whether that is fresh: the nonce was never used, or only with
	// smaller counts. Requests without qop use nc 0, which makes such a
	// nonce single-use. expires is when the nonce stops being accepted;
	// the entry may be forgotten after it. An implementation that has
	// forgotten a nonce before expires must answer false (the client
	// then gets stale=true and retries with a new nonce) rather than
	// accept a possible replay.
	Use(ctx context.Context, id NonceID, nc uint32, expires time.Time) (fresh bool, err error)
}

// DefaultReplayCapacity is the number of nonces a [MemoryReplayCache]
// created with capacity 0 remembers (about 5 MB).
const DefaultReplayCapacity = 1 << 16

// MemoryReplayCache is a fixed-capacity in-memory [ReplayCache]. When
// full it evicts the oldest entry and from then on refuses nonces that
// expire no later than the evicted one, so memory stays flat under load
// and eviction never re-opens a replay window.
type MemoryReplayCache struct {
	mu        sync.Mutex
	entries   map[NonceID]replayEntry
	ring      []NonceID // insertion order; ring[head] is the oldest
	head, n   int
	watermark time.Time // nonces expiring at or before this may have been evicted
}

type replayEntry struct {
	nc      uint32
	expires time.Time
}

var _ ReplayCache = (*MemoryReplayCache)(nil)

// NewMemoryReplayCache returns a cache that remembers up to capacity
// nonces. If capacity is 0, DefaultReplayCapacity is used.
func NewMemoryReplayCache(capacity int) *MemoryReplayCache {
	if capacity <= 0 {
		capacity = DefaultReplayCapacity
	}
	return &MemoryReplayCache{
		entries: make(map[NonceID]replayEntry, capacity),
		ring:    make([]NonceID, capacity),
	}
}

// Use implements [ReplayCache]. It never blocks and ignores ctx.
func (c *MemoryReplayCache) Use(_ context.Context, id NonceID, nc uint32, expires time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok {
		if nc <= e.nc {
			return false, nil
		}
		e.nc = nc
		c.entries[id] = e
		return true, nil
	}
	if !expires.After(c.watermark) {
		return false, nil
	}
	if c.n == len(c.ring) {
		old := c.ring[c.head]
		if e, ok := c.entries[old]; ok && e.expires.After(c.watermark) {
			c.watermark = e.expires
		}
		delete(c.entries, old)
		c.head = (c.head + 1) % len(c.ring)
		c.n--
	}
	c.ring[(c.head+c.n)%len(c.ring)] = id
	c.n++
	c.entries[id] = replayEntry{nc: nc, expires: expires}
	return true, nil
}

// Len reports how many nonces the cache currently remembers.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
