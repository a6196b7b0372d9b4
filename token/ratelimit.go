package token

import (
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Limiter decides whether a client may have another token. Supply your own
// to share limits across servers; [MemoryLimiter] is the in-process one.
type Limiter interface {
	// Allow reports whether client may proceed now, and counts the request.
	Allow(client string) bool
}

// MemoryLimiter is a per-client token bucket with a hard cap on tracked
// clients. A client idle long enough to have refilled its bucket is
// forgotten when room is needed. When the cap is reached with no such
// client, new clients are refused until room appears (fail closed); known
// clients keep their own limits.
type MemoryLimiter struct {
	// Now is the clock. If nil, time.Now. Set it before first use.
	Now func() time.Time

	mu        sync.Mutex
	perSecond float64
	burst     float64
	max       int
	clients   map[string]*bucket
	nextSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter allows each client perMinute requests a minute on
// average and burst at once, tracking at most maxClients clients. Values
// <= 0 become 10 a minute, a burst of 5 and 10000 clients.
func NewMemoryLimiter(perMinute, burst, maxClients int) *MemoryLimiter {
	if perMinute <= 0 {
		perMinute = 10
	}
	if burst <= 0 {
		burst = 5
	}
	if maxClients <= 0 {
		maxClients = 10000
	}
	return &MemoryLimiter{
		perSecond: float64(perMinute) / 60,
		burst:     float64(burst),
		max:       maxClients,
		clients:   make(map[string]*bucket),
	}
}

// Allow implements [Limiter].
func (l *MemoryLimiter) Allow(client string) bool {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	t := now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[client]
	if !ok {
		if len(l.clients) >= l.max {
			// A full sweep is O(clients); do it at most once a second so
			// a flood of new clients cannot turn every request into one.
			if t.Before(l.nextSweep) {
				return false
			}
			l.sweep(t)
			if len(l.clients) >= l.max {
				return false
			}
		}
		b = &bucket{tokens: l.burst, last: t}
		l.clients[client] = b
	}
	l.refill(b, t)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *MemoryLimiter) refill(b *bucket, t time.Time) {
	if dt := t.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(l.burst, b.tokens+dt*l.perSecond)
		b.last = t
	}
}

func (l *MemoryLimiter) sweep(t time.Time) {
	for c, b := range l.clients {
		l.refill(b, t)
		if b.tokens >= l.burst {
			delete(l.clients, c)
		}
	}
	l.nextSweep = t.Add(time.Second)
}

// RemoteIP is the default client key: the IP of the TCP peer, or its /64
// for IPv6 (one subscriber usually holds a whole /64). Behind a reverse
// proxy that is the proxy, so supply a Handler.ClientKey that reads the
// header your proxy sets, and trust it only from that proxy.
func RemoteIP(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}
