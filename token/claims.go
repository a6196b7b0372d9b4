package token

import (
	"encoding/binary"
	"time"
)

// MaxClaimLen is the longest ID, Subject, Destination or Audience a token
// can carry, in bytes.
const MaxClaimLen = 512

// Claims is what a call token says. Times travel at one-second resolution.
type Claims struct {
	// ID is unique per token; [Sealer.Seal] fills a random 128-bit value
	// (32 lowercase hex digits) when empty. The replay store keys on it.
	ID string
	// Subject is the caller, typically a fresh anonymous identity.
	Subject string
	// Destination is what the call may reach: an opaque route name the
	// server resolves, or an address. Never taken from the page.
	Destination string
	// Audience is the exact origin the token was issued to
	// ("https://example.com"); required.
	Audience string
	// IssuedAt defaults to now, NotBefore to IssuedAt, Expiry to IssuedAt
	// plus the Sealer's Lifetime.
	IssuedAt, NotBefore, Expiry time.Time
}

// Plaintext layout, version 1 (all integers big-endian):
//
//	iat int64 | nbf int64 | exp int64 (Unix seconds)
//	then ID, Subject, Destination, Audience, each as uint16 length | bytes
//
// It is only ever parsed after the AEAD authenticated it, but it is parsed
// strictly anyway: exact lengths, no trailing bytes.
const claimsFixedLen = 3*8 + 4*2

func (c *Claims) encodedLen() int {
	return claimsFixedLen + len(c.ID) + len(c.Subject) + len(c.Destination) + len(c.Audience)
}

func (c *Claims) appendBinary(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(c.IssuedAt.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.NotBefore.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expiry.Unix()))
	for _, s := range [...]string{c.ID, c.Subject, c.Destination, c.Audience} {
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	return b
}

func (c *Claims) parseBinary(b []byte) bool {
	if len(b) < claimsFixedLen {
		return false
	}
	c.IssuedAt = time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	c.NotBefore = time.Unix(int64(binary.BigEndian.Uint64(b[8:])), 0)
	c.Expiry = time.Unix(int64(binary.BigEndian.Uint64(b[16:])), 0)
	b = b[24:]
	for _, dst := range [...]*string{&c.ID, &c.Subject, &c.Destination, &c.Audience} {
		if len(b) < 2 {
			return false
		}
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n > MaxClaimLen || n > len(b) {
			return false
		}
		*dst = string(b[:n])
		b = b[n:]
	}
	return len(b) == 0
}
