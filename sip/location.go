package sip

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// Binding is one registered contact of an address of record.
type Binding struct {
	// Contact is the registered contact URI, e.g. "sip:alice@192.0.2.7:5062".
	Contact string
	// Expires is when the binding lapses.
	Expires time.Time
	// Updated is when the binding was last added or refreshed.
	Updated time.Time
	// CallID and CSeq identify the REGISTER that last refreshed the
	// binding (RFC 3261 §10.3 step 7: out-of-order refreshes are ignored).
	CallID string
	CSeq   uint32
	// Source is the transport address the REGISTER came from
	// ("udp:192.0.2.7:5062"), used to reach contacts behind NAT.
	Source string
}

// LocationStore holds the bindings of addresses of record. The address of
// record is normalised by the registrar to "user@domain" (lowercase host).
// Implementations must be safe for concurrent use; the in-memory default is
// [MemoryLocations]. Put a shared store (SQL, Redis) behind it to run several
// registrars.
type LocationStore interface {
	// Update applies one REGISTER to aor at time now: it removes the
	// contacts in remove, adds or refreshes those in add (matching by
	// Contact), drops expired bindings, and returns the resulting set. It
	// fails with an error wrapping ErrTooManyBindings, changing nothing,
	// if the result would hold more than max bindings. removeAll removes
	// every binding (Contact: *).
	Update(ctx context.Context, aor string, now time.Time, add []Binding, remove []string, removeAll bool, max int) ([]Binding, error)
	// Lookup returns the unexpired bindings of aor, soonest-expiring last.
	Lookup(ctx context.Context, aor string, now time.Time) ([]Binding, error)
}

// MemoryLocations is the in-memory [LocationStore]. Expired bindings are
// dropped when their address of record is next touched and by
// [MemoryLocations.Sweep], which a [Server] calls periodically, so memory
// stays proportional to live registrations.
type MemoryLocations struct {
	mu   sync.Mutex
	aors map[string][]Binding
}

var _ LocationStore = (*MemoryLocations)(nil)

// NewMemoryLocations returns an empty in-memory location store.
func NewMemoryLocations() *MemoryLocations {
	return &MemoryLocations{aors: make(map[string][]Binding)}
}

// Update implements [LocationStore].
func (m *MemoryLocations) Update(_ context.Context, aor string, now time.Time, add []Binding, remove []string, removeAll bool, max int) ([]Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := liveBindings(m.aors[aor], now)
	if removeAll {
		cur = nil
	}
	next := make([]Binding, 0, len(cur)+len(add))
	for _, b := range cur {
		if containsFold(remove, b.Contact) || indexBinding(add, b.Contact) >= 0 {
			continue
		}
		next = append(next, b)
	}
	next = append(next, add...)
	if max > 0 && len(next) > max {
		return cloneBindings(cur), ErrTooManyBindings
	}
	if len(next) == 0 {
		delete(m.aors, aor)
		return nil, nil
	}
	sortBindings(next)
	m.aors[aor] = next
	return cloneBindings(next), nil
}

// Lookup implements [LocationStore].
func (m *MemoryLocations) Lookup(_ context.Context, aor string, now time.Time) ([]Binding, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneBindings(liveBindings(m.aors[aor], now)), nil
}

// Sweep removes every expired binding and reports how many addresses of
// record remain.
func (m *MemoryLocations) Sweep(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	for aor, bs := range m.aors {
		live := liveBindings(bs, now)
		if len(live) == 0 {
			delete(m.aors, aor)
		} else if len(live) != len(bs) {
			m.aors[aor] = live
		}
	}
	return len(m.aors)
}

func liveBindings(bs []Binding, now time.Time) []Binding {
	n := 0
	for _, b := range bs {
		if b.Expires.After(now) {
			n++
		}
	}
	if n == len(bs) {
		return bs
	}
	out := make([]Binding, 0, n)
	for _, b := range bs {
		if b.Expires.After(now) {
			out = append(out, b)
		}
	}
	return out
}

func cloneBindings(bs []Binding) []Binding {
	if len(bs) == 0 {
		return nil
	}
	return append([]Binding(nil), bs...)
}

// sortBindings puts the longest-lived binding first: the default router
// tries the freshest registration.
func sortBindings(bs []Binding) {
	sort.SliceStable(bs, func(i, j int) bool { return bs[i].Expires.After(bs[j].Expires) })
}

func indexBinding(bs []Binding, contact string) int {
	for i, b := range bs {
		if strings.EqualFold(b.Contact, contact) {
			return i
		}
	}
	return -1
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
