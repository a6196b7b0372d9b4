package token

import "errors"

// Errors returned by [Sealer]. Every failure to authenticate a token — a
// flipped bit, a truncated or padded string, garbage, a token sealed under a
// key the ring does not hold — is [ErrInvalidToken] and nothing more, so a
// caller cannot learn which byte was wrong. The remaining sentinels are
// returned only for tokens that authenticated.
var (
	// ErrInvalidToken indicates a token that did not authenticate or parse.
	// Unknown key IDs are folded in here on purpose: see [Sealer.Open].
	ErrInvalidToken = errors.New("token: invalid token")
	// ErrExpired indicates an authentic token past its Expiry plus the skew.
	ErrExpired = errors.New("token: token expired")
	// ErrNotYetValid indicates an authentic token whose NotBefore or
	// IssuedAt lies further in the future than the skew allows.
	ErrNotYetValid = errors.New("token: token not yet valid")
	// ErrWrongAudience indicates an authentic token issued for another origin.
	ErrWrongAudience = errors.New("token: wrong audience")
	// ErrReplayed indicates an authentic token whose ID was already used.
	ErrReplayed = errors.New("token: token already used")
	// ErrLifetime indicates claims whose Expiry minus IssuedAt exceeds
	// MaxLifetime, or whose Expiry is not after NotBefore and IssuedAt.
	ErrLifetime = errors.New("token: bad token lifetime")
	// ErrClaims indicates claims that cannot be sealed (empty audience,
	// a field longer than [MaxClaimLen]).
	ErrClaims = errors.New("token: bad claims")
	// ErrKeySize indicates a call-token key that is not exactly 32 bytes.
	ErrKeySize = errors.New("token: key must be 32 bytes")
	// ErrConfig indicates an unusable [SealerConfig] or [Handler] setting.
	ErrConfig = errors.New("token: bad configuration")
	// ErrReplayStoreFull indicates the [MemoryReplayStore] is at its cap
	// with entries that have not yet expired; the token is refused (fail
	// closed) rather than remembered less.
	ErrReplayStoreFull = errors.New("token: replay store full")
	// ErrOrigin indicates a configured origin that is not a plain
	// scheme://host[:port] origin.
	ErrOrigin = errors.New("token: bad origin")
)

// Errors returned by [KandyLegacy].
var (
	// ErrKandyKeySize indicates a realm key that is not 16 bytes.
	ErrKandyKeySize = errors.New("token: kandy realm key must be 16 bytes")
	// ErrKandyEncoding indicates input that is not hex, has odd length, is
	// empty or too long, or is not a whole number of AES blocks.
	ErrKandyEncoding = errors.New("token: kandy token is not valid hex ciphertext")
	// ErrKandyPadding indicates a decrypted token whose PKCS#5/7 padding is wrong.
	ErrKandyPadding = errors.New("token: kandy token has bad padding")
	// ErrKandyFormat indicates a decrypted token that is not
	// "userID;timestamp" or "sip:userID;timestamp", or a user ID that
	// cannot be put in one.
	ErrKandyFormat = errors.New("token: kandy token has bad format")
	// ErrKandyExpired indicates a kandy token older than the realm expiry.
	ErrKandyExpired = errors.New("token: kandy token expired")
	// ErrKandyNotYetValid indicates a kandy token timestamped further in the
	// future than [KandyLegacySkew].
	ErrKandyNotYetValid = errors.New("token: kandy token timestamp in the future")
)
