package token

import (
	"context"
	"sync"
	"time"
)

// DefaultReplayEntries is the cap of the replay store a [Sealer] makes when
// SealerConfig.Replay is nil: at the default 2-minute lifetime it absorbs
// about 800 token openings a second.
const DefaultReplayEntries = 100_000

// replaySweepEvery is how often Use walks the map for expired entries even
// when it is not full, so that memory falls back after a burst.
const replaySweepEvery = time.Minute

// ReplayStore remembers token IDs until they can no longer be used.
// Implement it over a shared database to make tokens single-use across
// several servers.
type ReplayStore interface {
	// Use records id as used until until and reports whether this is its
	// first use. until is the token's Expiry plus the skew: after it, Open
	// rejects the token anyway, so the store may forget the ID. An error
	// makes Open refuse the token.
	Use(ctx context.Context, id string, until time.Time) (firstUse bool, err error)
}

// MemoryReplayStore is an in-process [ReplayStore] with a hard cap on
// entries. Expired entries are swept when the store is full and at most
// once a minute otherwise. When the cap is reached with entries that have
// not expired, Use returns [ErrReplayStoreFull] and the token is refused:
// the store fails closed rather than forgetting IDs early.
type MemoryReplayStore struct {
	// Now is the clock. If nil, time.Now. Set it before first use.
	Now func() time.Time

	mu        sync.Mutex
	max       int
	seen      map[string]time.Time
	minUntil  time.Time // no entry expires before this
	nextSweep time.Time
}

var _ ReplayStore = (*MemoryReplayStore)(nil)

// NewMemoryReplayStore returns a store holding at most maxEntries IDs.
// If maxEntries <= 0, DefaultReplayEntries.
func NewMemoryReplayStore(maxEntries int) *MemoryReplayStore {
	if maxEntries <= 0 {
		maxEntries = DefaultReplayEntries
	}
	return &MemoryReplayStore{max: maxEntries, seen: make(map[string]time.Time)}
}

// Use implements [ReplayStore]. It does not block, so ctx is unused.
func (m *MemoryReplayStore) Use(_ context.Context, id string, until time.Time) (bool, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	t := now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.seen[id]; ok && t.Before(u) {
		return false, nil
	}
	if !t.Before(m.nextSweep) || (len(m.seen) >= m.max && !t.Before(m.minUntil)) {
		m.sweep(t)
	}
	if _, ok := m.seen[id]; !ok && len(m.seen) >= m.max {
		return false, ErrReplayStoreFull
	}
	m.seen[id] = until
	if len(m.seen) == 1 || until.Before(m.minUntil) {
		m.minUntil = until
	}
	return true, nil
}

// Len reports how many IDs the store holds, expired or not.
func (m *MemoryReplayStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

func (m *MemoryReplayStore) sweep(t time.Time) {
	m.minUntil = time.Time{}
	for id, u := range m.seen {
		if !t.Before(u) {
			delete(m.seen, id)
		} else if m.minUntil.IsZero() || u.Before(m.minUntil) {
			m.minUntil = u
		}
	}
	m.nextSweep = t.Add(replaySweepEvery)
}
