package webrtc

import (
	"fmt"
	"sync"
)

// admission counts concurrent calls globally, per origin and per client.
type admission struct {
	mu                  sync.Mutex
	max, perOrigin, per int
	total               int
	byOrigin, byClient  map[string]int
}

func newAdmission(l Limits) *admission {
	return &admission{max: l.MaxCalls, perOrigin: l.MaxCallsPerOrigin, per: l.MaxCallsPerClient,
		byOrigin: map[string]int{}, byClient: map[string]int{}}
}

// acquire takes one slot or says which limit is reached.
func (a *admission) acquire(origin, client string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.max > 0 && a.total >= a.max:
		return fmt.Errorf("%w: %d calls", ErrOverloaded, a.total)
	case a.perOrigin > 0 && a.byOrigin[origin] >= a.perOrigin:
		return fmt.Errorf("%w: origin has %d calls", ErrTooManyCalls, a.byOrigin[origin])
	case a.per > 0 && a.byClient[client] >= a.per:
		return fmt.Errorf("%w: client has %d calls", ErrTooManyCalls, a.byClient[client])
	}
	a.total++
	a.byOrigin[origin]++
	a.byClient[client]++
	return nil
}

func (a *admission) release(origin, client string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total--
	if a.byOrigin[origin]--; a.byOrigin[origin] <= 0 {
		delete(a.byOrigin, origin)
	}
	if a.byClient[client]--; a.byClient[client] <= 0 {
		delete(a.byClient, client)
	}
}

func (a *admission) active() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.total
}
