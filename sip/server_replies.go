package sip

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

// replyCacheSize bounds the stateless reply cache: enough for about two
// seconds of authenticated REGISTERs at 8,000/s, at most ~7 MB.
const replyCacheSize = 16384

// replyCache remembers the 200 sent for recent authenticated REGISTERs,
// keyed by a hash of the source address and the datagram's exact bytes.
// A retransmission is byte-for-byte the same datagram from the same
// source, so it gets the same answer again without parsing or digest
// verification: without this, a REGISTER whose 200 was lost or late would
// be refused as a digest replay, and under overload the retransmissions
// would turn into failures (congestion collapse). Entries live 64*T1 at
// most; the ring evicts the oldest first.
type replyCache struct {
	seed maphash.Seed
	now  func() time.Time

	mu   sync.Mutex
	m    map[uint64]cachedReply
	ring []uint64
	next int
}

type cachedReply struct {
	data []byte
	at   time.Time
}

func newReplyCache(now func() time.Time) *replyCache {
	return &replyCache{seed: maphash.MakeSeed(), now: now,
		m: make(map[uint64]cachedReply, replyCacheSize), ring: make([]uint64, replyCacheSize)}
}

func (c *replyCache) key(src netip.AddrPort, data []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	var a [64]byte
	h.Write(src.AppendTo(a[:0]))
	h.Write(data)
	return h.Sum64()
}

// get returns the cached reply for key, or nil.
func (c *replyCache) get(key uint64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[key]
	if !ok || c.now().Sub(r.at) > retransmitWindow {
		return nil
	}
	return r.data
}

// put stores a copy of reply under key.
func (c *replyCache) put(key uint64, reply []byte) {
	data := append([]byte(nil), reply...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.ring[c.next]; old != 0 {
		delete(c.m, old)
	}
	c.ring[c.next] = key
	c.next = (c.next + 1) % len(c.ring)
	c.m[key] = cachedReply{data: data, at: c.now()}
}
