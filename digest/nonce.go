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
func (s *Server) checkNonce(sc *scratch, nonce string, addr netip.Addr, now time.Time) (time.Time, NonceID, error) {
	var id NonceID
	if !decodeNonce(&sc.raw, nonce) || sc.raw[0] != nonceVersion {
		return time.Time{}, id, ErrInvalidNonce
	}
	raw := sc.raw[:]
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
	if issued.After(now.Add(maxFutureSkew)) {
		return time.Time{}, id, ErrInvalidNonce
	}
	copy(id[:], raw[nonceTagOffset:])
	return issued, id, nil
}

// base64URLValues maps a byte to its base64url value, or 0xff. A constant
// string, so it is a read-only table and not package state.
const base64URLValues = "" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x3e\xff\xff" +
	"\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\xff\xff\xff\xff\xff\xff" +
	"\xff\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e" +
	"\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\xff\xff\xff\xff\x3f" +
	"\xff\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28" +
	"\x29\x2a\x2b\x2c\x2d\x2e\x2f\x30\x31\x32\x33\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// decodeNonce decodes a received nonce (unpadded base64url) into dst
// straight from the header string: encoding/base64 would need a []byte
// copy first. It is strict where the standard decoder is not: the unused
// low bits of the last character must be zero, so each nonce has exactly
// one spelling.
func decodeNonce(dst *[nonceRawLen]byte, s string) bool {
	if len(s) != nonceLen {
		return false
	}
	s = s[:nonceLen] // a constant length lets the compiler drop the bounds checks below
	var bad byte
	for g := 0; g < nonceRawLen/3; g++ {
		a, b, c, e := base64URLValues[s[4*g]], base64URLValues[s[4*g+1]], base64URLValues[s[4*g+2]], base64URLValues[s[4*g+3]]
		bad |= a | b | c | e
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(e)
		dst[3*g], dst[3*g+1], dst[3*g+2] = byte(v>>16), byte(v>>8), byte(v)
	}
	// nonceRawLen = 38 = 12*3 + 2: three characters carry the last 16 bits.
	a, b, c := base64URLValues[s[48]], base64URLValues[s[49]], base64URLValues[s[50]]
	bad |= a | b | c
	v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6
	dst[36], dst[37] = byte(v>>16), byte(v>>8)
	return bad&0xc0 == 0 && c&0x03 == 0
}
