package token

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Defaults used when the corresponding [SealerConfig] field is zero.
const (
	DefaultLifetime    = 2 * time.Minute
	DefaultMaxLifetime = 15 * time.Minute
	DefaultSkew        = 30 * time.Second
)

// KeySize is the length of every call-token key.
const KeySize = chacha20poly1305.KeySize

// tokenVersion is the first byte of every token. A new layout gets a new
// version; Open rejects versions it does not know as invalid.
const tokenVersion = 1

const (
	headerLen = 2 // version | key ID
	nonceLen  = chacha20poly1305.NonceSizeX
	tagLen    = chacha20poly1305.Overhead
	// maxTokenLen bounds Open's input before decoding: the largest claims
	// a Sealer will seal, encoded, stay well below it.
	maxTokenLen = 4096
	minRawLen   = headerLen + nonceLen + claimsFixedLen + tagLen
)

// Key is one call-token key. Secret must be exactly [KeySize] bytes from a
// CSPRNG; it is copied. ID travels in clear in every token so that Open can
// pick the key; it is not secret.
type Key struct {
	ID     uint8
	Secret []byte
}

// SealerConfig configures a [Sealer]. Keys is required; every other zero
// value is a safe default.
type SealerConfig struct {
	// Keys is the key ring. Keys[0] is the current key: Seal uses it. Open
	// accepts a token under any key in the ring. To rotate, put the new key
	// first and keep the old one until tokens sealed under it have expired
	// (MaxLifetime plus Skew). IDs must be distinct.
	Keys []Key
	// Lifetime is Expiry minus IssuedAt for claims that leave Expiry zero.
	// If zero, DefaultLifetime (2 minutes).
	Lifetime time.Duration
	// MaxLifetime is the longest Expiry minus IssuedAt that Seal will seal
	// and Open will accept. If zero, DefaultMaxLifetime (15 minutes).
	MaxLifetime time.Duration
	// Skew is the clock difference tolerated between sealer and opener when
	// checking Expiry, NotBefore and IssuedAt. If zero, DefaultSkew
	// (30 seconds); negative means no tolerance.
	Skew time.Duration
	// Replay remembers used token IDs so that Open accepts each token once.
	// If nil, Open uses a per-Sealer [MemoryReplayStore] with
	// DefaultReplayEntries entries; that is single-use within one process
	// only, so a fleet of servers should supply a shared store.
	Replay ReplayStore
	// AllowReplay turns single-use checking off: Open then accepts a token
	// any number of times until it expires. Replay is ignored.
	AllowReplay bool
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
}

// Sealer seals and opens webdial call tokens: XChaCha20-Poly1305 under a
// key ring, base64url without padding. Make one with [NewSealer]; the zero
// Sealer seals nothing and opens nothing. A Sealer is safe for concurrent use.
//
// Token layout, version 1:
//
//	version (1 byte, = 1) | key ID (1) | nonce (24, random) | sealed claims + tag (16)
//
// with version and key ID as additional data, so neither can be changed
// without Open failing.
type Sealer struct {
	keys        [256]cipher.AEAD
	current     uint8
	lifetime    time.Duration
	maxLifetime time.Duration
	skew        time.Duration
	replay      ReplayStore
	now         func() time.Time
	// enc is strict base64url: a non-canonical final character would let
	// two strings decode to one token.
	enc *base64.Encoding
}

// NewSealer checks cfg and returns a [Sealer]. It fails with [ErrKeySize] for
// a key that is not 32 bytes and [ErrConfig] for anything else unusable.
func NewSealer(cfg SealerConfig) (*Sealer, error) {
	if len(cfg.Keys) == 0 {
		return nil, fmt.Errorf("%w: no keys", ErrConfig)
	}
	s := &Sealer{
		current:     cfg.Keys[0].ID,
		lifetime:    orDefault(cfg.Lifetime, DefaultLifetime),
		maxLifetime: orDefault(cfg.MaxLifetime, DefaultMaxLifetime),
		skew:        orDefault(cfg.Skew, DefaultSkew),
		now:         cfg.Now,
		enc:         base64.RawURLEncoding.Strict(),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.skew < 0 {
		s.skew = 0
	}
	if s.lifetime < 0 || s.maxLifetime < 0 || s.lifetime > s.maxLifetime {
		return nil, fmt.Errorf("%w: need 0 < Lifetime <= MaxLifetime", ErrConfig)
	}
	for _, k := range cfg.Keys {
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("%w: key %d has %d bytes", ErrKeySize, k.ID, len(k.Secret))
		}
		if s.keys[k.ID] != nil {
			return nil, fmt.Errorf("%w: duplicate key id %d", ErrConfig, k.ID)
		}
		aead, err := chacha20poly1305.NewX(k.Secret) // copies the key
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrKeySize, err)
		}
		s.keys[k.ID] = aead
	}
	switch {
	case cfg.AllowReplay:
	case cfg.Replay != nil:
		s.replay = cfg.Replay
	default:
		m := NewMemoryReplayStore(DefaultReplayEntries)
		m.Now = s.now
		s.replay = m
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Seal fills defaults into c (see [Claims]) and returns the sealed token.
// It fails with [ErrClaims] for an empty Audience or an overlong field and
// with [ErrLifetime] when Expiry is not after IssuedAt and NotBefore or lies
// more than MaxLifetime after IssuedAt.
func (s *Sealer) Seal(c Claims) (string, error) {
	tok, _, err := s.SealClaims(c)
	return tok, err
}

// SealClaims is [Sealer.Seal] that also returns the claims as sealed
// (defaults filled, times truncated to seconds), equal to what Open returns.
func (s *Sealer) SealClaims(c Claims) (string, Claims, error) {
	if s == nil || s.keys[s.current] == nil {
		return "", Claims{}, fmt.Errorf("%w: Sealer not made by NewSealer", ErrConfig)
	}
	if c.ID == "" {
		var id [16]byte
		if _, err := rand.Read(id[:]); err != nil {
			return "", Claims{}, fmt.Errorf("token: reading randomness: %w", err)
		}
		c.ID = hex.EncodeToString(id[:])
	}
	if c.Audience == "" {
		return "", Claims{}, fmt.Errorf("%w: empty audience", ErrClaims)
	}
	for _, f := range [...]string{c.ID, c.Subject, c.Destination, c.Audience} {
		if len(f) > MaxClaimLen {
			return "", Claims{}, fmt.Errorf("%w: field longer than %d bytes", ErrClaims, MaxClaimLen)
		}
	}
	if c.IssuedAt.IsZero() {
		c.IssuedAt = s.now()
	}
	c.IssuedAt = time.Unix(c.IssuedAt.Unix(), 0)
	if c.NotBefore.IsZero() {
		c.NotBefore = c.IssuedAt
	}
	c.NotBefore = time.Unix(c.NotBefore.Unix(), 0)
	if c.Expiry.IsZero() {
		c.Expiry = c.IssuedAt.Add(s.lifetime)
	}
	c.Expiry = time.Unix(c.Expiry.Unix(), 0)
	if err := s.checkLifetime(&c); err != nil {
		return "", Claims{}, err
	}

	raw := make([]byte, headerLen+nonceLen, headerLen+nonceLen+c.encodedLen()+tagLen)
	raw[0], raw[1] = tokenVersion, s.current
	nonce := raw[headerLen:]
	if _, err := rand.Read(nonce); err != nil {
		return "", Claims{}, fmt.Errorf("token: reading randomness: %w", err)
	}
	plain := c.appendBinary(raw[len(raw):])
	raw = s.keys[s.current].Seal(raw, nonce, plain, raw[:headerLen])
	return s.enc.EncodeToString(raw), c, nil
}

func (s *Sealer) checkLifetime(c *Claims) error {
	if !c.Expiry.After(c.IssuedAt) || !c.Expiry.After(c.NotBefore) {
		return fmt.Errorf("%w: expiry not after issue and not-before", ErrLifetime)
	}
	if c.Expiry.Sub(c.IssuedAt) > s.maxLifetime {
		return fmt.Errorf("%w: longer than %s", ErrLifetime, s.maxLifetime)
	}
	return nil
}

// Open authenticates tok and checks it, in this order:
//
//   - it decodes and decrypts under the key its key ID names, else
//     [ErrInvalidToken]. A key ID the ring does not hold is also
//     ErrInvalidToken: key IDs are visible in every token, so telling them
//     apart would add nothing for an operator but a second answer for an
//     attacker probing bytes;
//   - its lifetime is at most MaxLifetime, else [ErrLifetime];
//   - now is not after Expiry+Skew ([ErrExpired]) and not before
//     NotBefore−Skew or IssuedAt−Skew ([ErrNotYetValid]);
//   - its Audience equals audience exactly, else [ErrWrongAudience]
//     (an empty audience never matches). [Handler] seals the origin as
//     [ParseOrigin] normalises it, which is the form browsers send; pass
//     the request's Origin header, or ParseOrigin's result for it;
//   - unless AllowReplay is set, its ID has not been used ([ErrReplayed]).
//     A token that fails an earlier check is not marked used.
//
// ctx is passed to the [ReplayStore]. On error the returned Claims are zero.
func (s *Sealer) Open(ctx context.Context, tok string, audience string) (Claims, error) {
	c, ok := s.decrypt(tok)
	if !ok {
		return Claims{}, ErrInvalidToken
	}
	if err := s.checkLifetime(&c); err != nil {
		return Claims{}, err
	}
	now := s.now()
	if now.After(c.Expiry.Add(s.skew)) {
		return Claims{}, ErrExpired
	}
	if early := now.Add(s.skew); early.Before(c.NotBefore) || early.Before(c.IssuedAt) {
		return Claims{}, ErrNotYetValid
	}
	if audience == "" || c.Audience != audience {
		return Claims{}, ErrWrongAudience
	}
	if s.replay != nil {
		first, err := s.replay.Use(ctx, c.ID, c.Expiry.Add(s.skew))
		if err != nil {
			return Claims{}, fmt.Errorf("token: replay store: %w", err)
		}
		if !first {
			return Claims{}, ErrReplayed
		}
	}
	return c, nil
}

func (s *Sealer) decrypt(tok string) (Claims, bool) {
	if s == nil || s.enc == nil { // not made by NewSealer: holds no keys
		return Claims{}, false
	}
	if len(tok) > maxTokenLen || s.enc.DecodedLen(len(tok)) < minRawLen {
		return Claims{}, false
	}
	// The decoder skips CR and LF even in strict mode; refuse them so that
	// every token has exactly one spelling.
	if strings.ContainsAny(tok, "\r\n") {
		return Claims{}, false
	}
	raw := make([]byte, s.enc.DecodedLen(len(tok)))
	n, err := s.enc.Decode(raw, []byte(tok))
	if err != nil || n < minRawLen || raw[0] != tokenVersion {
		return Claims{}, false
	}
	raw = raw[:n]
	aead := s.keys[raw[1]]
	if aead == nil {
		return Claims{}, false
	}
	ct := raw[headerLen+nonceLen:]
	plain, err := aead.Open(ct[:0], raw[headerLen:headerLen+nonceLen], ct, raw[:headerLen])
	if err != nil {
		return Claims{}, false
	}
	var c Claims
	if !c.parseBinary(plain) {
		return Claims{}, false
	}
	return c, true
}
