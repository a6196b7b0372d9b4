package sip

import (
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/webdial/webdial/anon"
)

// Limits are the abuse limits of a [Server]. Every zero value is a safe,
// bounded default; a negative value turns that limit off.
type Limits struct {
	// PerSourceRate is how many SIP messages per second one source IP may
	// send; excess messages are dropped before parsing. If zero, 100.
	// Negative: no rate limit (benchmarks, trusted proxies only).
	PerSourceRate float64
	// PerSourceBurst is the bucket size of PerSourceRate. If zero, twice
	// the rate (at least 20).
	PerSourceBurst int
	// MaxSources caps how many source IPs the rate limiter and the ban
	// list remember; the least useful entries are forgotten first. If
	// zero, 65536.
	MaxSources int
	// MaxAuthFailures is how many failed digest verifications (wrong
	// password or unknown user) one source IP may make within
	// AuthFailureWindow before it is banned. If zero, 10. Negative: never ban.
	// The ban is also what stops a misconfigured client: with a wrong
	// password, baresip answers every fresh 401 nonce at once, about ten
	// REGISTERs in 100 ms, until it is refused with 403.
	MaxAuthFailures int
	// AuthFailureWindow is the window for MaxAuthFailures. If zero, 1 minute.
	AuthFailureWindow time.Duration
	// BanDuration is how long a banned source's messages are dropped. If
	// zero, 15 minutes.
	BanDuration time.Duration
	// MaxCalls caps concurrent calls through the B2BUA. If zero, 1000.
	// Negative: no cap.
	MaxCalls int
	// MaxCallsPerSource caps concurrent calls from one source IP. If
	// zero, 10. Negative: no cap.
	MaxCallsPerSource int
	// MaxAnonymousCalls, MaxUnauthenticatedCalls and
	// MaxAuthenticatedCalls cap concurrent calls per caller class. If
	// zero, MaxCalls applies alone. Negative: the class may not call.
	MaxAnonymousCalls       int
	MaxUnauthenticatedCalls int
	MaxAuthenticatedCalls   int
	// RingTimeout bounds how long an outbound leg may ring before the
	// call is cancelled (caller gets 408). If zero, 60 seconds.
	RingTimeout time.Duration
	// MaxDuration bounds an answered call; both legs get a BYE when it
	// elapses. If zero, 4 hours.
	MaxDuration time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.PerSourceRate == 0 {
		l.PerSourceRate = 100
	}
	if l.PerSourceBurst == 0 {
		l.PerSourceBurst = max(20, int(2*l.PerSourceRate))
	}
	if l.MaxSources <= 0 {
		l.MaxSources = 1 << 16
	}
	if l.MaxAuthFailures == 0 {
		l.MaxAuthFailures = 10
	}
	if l.AuthFailureWindow <= 0 {
		l.AuthFailureWindow = time.Minute
	}
	if l.BanDuration <= 0 {
		l.BanDuration = 15 * time.Minute
	}
	if l.MaxCalls == 0 {
		l.MaxCalls = 1000
	}
	if l.MaxCallsPerSource == 0 {
		l.MaxCallsPerSource = 10
	}
	if l.RingTimeout <= 0 {
		l.RingTimeout = 60 * time.Second
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = 4 * time.Hour
	}
	return l
}

// sourceState is what the limiter remembers about one source IP.
type sourceState struct {
	limiter     *rate.Limiter // nil when rate limiting is off
	failures    int
	windowStart time.Time
	bannedUntil time.Time
}

// sourceGuard is the in-process fail2ban plus per-source rate limiter.
// One mutex is enough: the critical sections are a map lookup and a token
// bucket update, far cheaper than parsing the message they guard.
type sourceGuard struct {
	lim Limits
	now func() time.Time

	mu      sync.Mutex
	sources map[netip.Addr]*sourceState
}

func newSourceGuard(lim Limits, now func() time.Time) *sourceGuard {
	return &sourceGuard{lim: lim, now: now, sources: make(map[netip.Addr]*sourceState)}
}

// allow reports whether a message from ip may be processed: the source is
// not banned and within its rate.
func (g *sourceGuard) allow(ip netip.Addr) bool {
	if g.lim.PerSourceRate < 0 && g.lim.MaxAuthFailures < 0 {
		return true
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.sources[ip]
	if st == nil {
		if g.lim.PerSourceRate < 0 {
			return true // nothing to remember until it fails auth
		}
		st = g.add(ip, now)
	}
	if now.Before(st.bannedUntil) {
		return false
	}
	if st.limiter != nil {
		return st.limiter.AllowN(now, 1)
	}
	return true
}

// authFailed records a failed digest verification and reports whether the
// source is now banned.
func (g *sourceGuard) authFailed(ip netip.Addr) bool {
	if g.lim.MaxAuthFailures < 0 {
		return false
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.sources[ip]
	if st == nil {
		st = g.add(ip, now)
	}
	if now.Sub(st.windowStart) > g.lim.AuthFailureWindow {
		st.windowStart, st.failures = now, 0
	}
	st.failures++
	if st.failures >= g.lim.MaxAuthFailures {
		st.bannedUntil = now.Add(g.lim.BanDuration)
		st.failures = 0
		return true
	}
	return false
}

// banned reports whether ip is currently banned.
func (g *sourceGuard) banned(ip netip.Addr) bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.sources[ip]
	return st != nil && now.Before(st.bannedUntil)
}

// add inserts a fresh entry, first making room if the map is full. Called
// with g.mu held.
func (g *sourceGuard) add(ip netip.Addr, now time.Time) *sourceState {
	if len(g.sources) >= g.lim.MaxSources {
		g.evict(now)
	}
	st := &sourceState{windowStart: now}
	if g.lim.PerSourceRate >= 0 {
		st.limiter = rate.NewLimiter(rate.Limit(g.lim.PerSourceRate), g.lim.PerSourceBurst)
	}
	g.sources[ip] = st
	return st
}

// evict forgets idle entries (not banned, bucket full, no recent
// failures); if none is idle it forgets an arbitrary unbanned one, and as
// a last resort an arbitrary one, so the map never exceeds MaxSources.
func (g *sourceGuard) evict(now time.Time) {
	removed := 0
	for ip, st := range g.sources {
		if now.Before(st.bannedUntil) || (st.failures > 0 && now.Sub(st.windowStart) <= g.lim.AuthFailureWindow) {
			continue
		}
		if st.limiter == nil || st.limiter.TokensAt(now) >= float64(g.lim.PerSourceBurst) {
			delete(g.sources, ip)
			removed++
		}
	}
	if removed > 0 {
		return
	}
	for ip, st := range g.sources {
		if !now.Before(st.bannedUntil) {
			delete(g.sources, ip)
			return
		}
	}
	for ip := range g.sources {
		delete(g.sources, ip)
		return
	}
}

// size reports how many sources are remembered (for tests and metrics).
func (g *sourceGuard) size() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sources)
}

// callCounter enforces the concurrent-call caps.
type callCounter struct {
	lim Limits

	mu       sync.Mutex
	total    int
	bySource map[netip.Addr]int
	byClass  map[anon.Class]int
}

func newCallCounter(lim Limits) *callCounter {
	return &callCounter{lim: lim, bySource: make(map[netip.Addr]int), byClass: make(map[anon.Class]int)}
}

func (c *callCounter) classCap(class anon.Class) int {
	switch class {
	case anon.Anonymous:
		return c.lim.MaxAnonymousCalls
	case anon.Unauthenticated:
		return c.lim.MaxUnauthenticatedCalls
	case anon.Authenticated:
		return c.lim.MaxAuthenticatedCalls
	}
	return -1
}

// acquire reserves a call slot; release must be called exactly once after
// a successful acquire.
func (c *callCounter) acquire(src netip.Addr, class anon.Class) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lim.MaxCalls > 0 && c.total >= c.lim.MaxCalls {
		return false
	}
	if c.lim.MaxCallsPerSource > 0 && c.bySource[src] >= c.lim.MaxCallsPerSource {
		return false
	}
	if cc := c.classCap(class); cc < 0 || (cc > 0 && c.byClass[class] >= cc) {
		return false
	}
	c.total++
	c.bySource[src]++
	c.byClass[class]++
	return true
}

func (c *callCounter) release(src netip.Addr, class anon.Class) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.bySource[src]--; c.bySource[src] <= 0 {
		delete(c.bySource, src)
	}
	if c.byClass[class]--; c.byClass[class] <= 0 {
		delete(c.byClass, class)
	}
}

func (c *callCounter) active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}
