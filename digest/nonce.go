package digest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"net/netip"
	"time"
)

// Nonce layout (digest-facts.md §7), base64url without padding:
//
//	ver(1) | keyID(1) | issued unix seconds(8, BE) | random(12) | tag(16)
//
// tag = HMAC-SHA256(key, "sip-digest" | ver..random | realm [| client IP])[:16].
// Any instance holding the key can check a nonce without shared state.
const (
	nonceVersion   = 1
	nonceRawLen    = 1 + 1 + 8 + 12 + 16
	nonceTagOffset = nonceRawLen - 16
	nonceLen       = (nonceRawLen*8 + 5) / 6 // 51 base64url characters
	maxFutureSkew  = 5 * time.Second
	macLabel       = "sip-digest"
)

// NonceID identifies a nonce in a [ReplayCache]: its 16-byte tag, which
// is unique per nonce because it is a MAC over 12 random bytes.
type NonceID [16]byte

// nonceKey is one HMAC key with its one-byte identifier.
type nonceKey struct {
	id  byte
	key []byte
}

func newNonceKey(k []byte) nonceKey {
	sum := sha256.Sum256(k)
	return nonceKey{id: sum[0], key: append([]byte(nil), k...)}
}

// scratch is the per-call working memory of Verify, pooled so the hot
// path does not allocate. macs holds one reusable HMAC per key.
type scratch struct {
	buf  []byte
	macs []hash.Hash
	raw  [nonceRawLen]byte
	tag  [sha256.Size]byte // here, not on the stack: Sum through an interface would move it to the heap
}

func (s *Server) getScratch() *scratch {
	sc, _ := s.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{buf: make([]byte, 0, 1024), macs: make([]hash.Hash, len(s.keys))}
	}
	return sc
}

func (s *Server) putScratch(sc *scratch) {
	if cap(sc.buf) > 64<<10 {
		sc.buf = make([]byte, 0, 1024) // do not keep a huge uri's buffer
	}
	s.pool.Put(sc)
}

// nonceTag computes the tag of raw (whose first nonceTagOffset bytes are
// set) under key index k into dst.
func (s *Server) nonceTag(sc *scratch, k int, raw []byte, addr netip.Addr, dst []byte) []byte {
	m := sc.macs[k]
	if m == nil {
		m = hmac.New(sha256.New, s.keys[k].key)
		sc.macs[k] = m
	}
	m.Reset()
	b := append(sc.buf[:0], macLabel...)
	b = append(b, raw[:nonceTagOffset]...)
	b = append(b, s.realm...)
	if s.bindAddr {
		b = append(b, 0)
		if addr.IsValid() {
			a := addr.Unmap().As16()
			b = append(b, a[:]...)
		}
	}
	sc.buf = b
	m.Write(b)
	return m.Sum(dst[:0])
}

// newNonce issues a nonce under the current key.
func (s *Server) newNonce(addr netip.Addr) string {
	sc := s.getScratch()
	defer s.putScratch(sc)
	raw := sc.raw[:]
	raw[0] = nonceVersion
	raw[1] = s.keys[0].id
	binary.BigEndian.PutUint64(raw[2:10], uint64(s.now().Unix()))
	rand.Read(raw[10:22]) // never returns an error (crypto/rand, Go 1.24+)
	copy(raw[nonceTagOffset:], s.nonceTag(sc, 0, raw, addr, sc.tag[:]))
	return base64.RawURLEncoding.EncodeToString(raw)
}

// checkNonce authenticates a received nonce and returns its issue time
// and replay ID. It does not look at the age: expiry is reported only
// after the response proved knowledge of the password.
func (s *Server) checkNonce(sc *scratch, nonce string, addr netip.Addr) (time.Time, NonceID, error) {
	var id NonceID
	if len(nonce) != nonceLen {
		return time.Time{}, id, ErrInvalidNonce
	}
	raw := sc.raw[:]
	// AppendDecode into a pooled buffer avoids converting the string.
	sc.buf = append(sc.buf[:0], nonce...)
	n, err := base64.RawURLEncoding.Decode(raw, sc.buf)
	if err != nil || n != nonceRawLen || raw[0] != nonceVersion {
		return time.Time{}, id, ErrInvalidNonce
	}
	ok := false
	for k := range s.keys {
		// Several keys may share an id byte; try each candidate.
		if s.keys[k].id != raw[1] {
			continue
		}
		if hmac.Equal(s.nonceTag(sc, k, raw, addr, sc.tag[:])[:16], raw[nonceTagOffset:]) {
			ok = true
			break
		}
	}
	if !ok {
		return time.Time{}, id, ErrInvalidNonce
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[2:10])), 0)
	if issued.After(s.now().Add(maxFutureSkew)) {
		return time.Time{}, id, ErrInvalidNonce
	}
	copy(id[:], raw[nonceTagOffset:])
	return issued, id, nil
}
