package token

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// KandyLegacySkew is how far in the future a Kandy token's timestamp may lie
// (clock difference between the issuing server and the verifier).
const KandyLegacySkew = 30 * time.Second

// kandyMaxHexLen bounds Verify's input before any decoding: 512 bytes of
// ciphertext is far more than any "sip:userID;timestamp" needs.
const kandyMaxHexLen = 1024

// KandyLegacy creates and verifies Kandy anonymous-call tokens: the plaintext
// "userID;timestamp" (account token) or "sip:userID;timestamp" (from and to
// tokens), timestamp in Unix milliseconds, encrypted with AES-128 in ECB mode
// with PKCS#5/7 padding under the realm's 16-byte key, written as lowercase hex.
//
// THIS FORMAT HAS NO INTEGRITY. ECB encrypts each 16-byte block on its own, so
// anyone holding two tokens from the same realm can cut blocks out of one and
// splice them into the other, for example an old token's "sip:victim" blocks
// with a fresh token's timestamp block, and the result decrypts and verifies.
// Identical plaintext blocks also give identical ciphertext blocks. Nothing in
// a token binds it to a page, a caller or a single use.
//
// Only use KandyLegacy if you must interoperate with an existing Kandy realm
// (the vendor's SDK call makeAnonymous). All other users should use [Sealer].
type KandyLegacy struct {
	block  cipher.Block
	realm  string
	expiry time.Duration
}

// KandyCredentials is the credentials object Kandy's makeAnonymous expects.
// The JSON tags match the vendor's field names.
type KandyCredentials struct {
	AccountToken string `json:"accountToken"`
	FromToken    string `json:"fromToken"`
	ToToken      string `json:"toToken"`
	Realm        string `json:"realm"`
}

// KandyToken is a verified Kandy token's plaintext.
type KandyToken struct {
	// SIP is true for from/to tokens ("sip:userID;timestamp") and false for
	// account tokens ("userID;timestamp").
	SIP bool
	// UserID is the user ID without the "sip:" prefix.
	UserID string
	// Timestamp is the issue time, millisecond resolution.
	Timestamp time.Time
}

// NewKandyLegacy returns a [KandyLegacy] for one realm. realmKey must be
// exactly 16 bytes (AES-128) and is copied; expiry is the realm's token expiry
// period and must be positive; realm is the realm name sent alongside the
// tokens.
//
// Only use this function if you require compatibility with an existing Kandy
// realm. ECB provides no integrity: tokens can be spliced. All other users
// should use [NewSealer].
func NewKandyLegacy(realmKey []byte, realm string, expiry time.Duration) (*KandyLegacy, error) {
	if len(realmKey) != 16 {
		return nil, fmt.Errorf("%w: got %d bytes", ErrKandyKeySize, len(realmKey))
	}
	if realm == "" {
		return nil, fmt.Errorf("%w: empty kandy realm", ErrConfig)
	}
	if expiry <= 0 {
		return nil, fmt.Errorf("%w: kandy expiry must be positive", ErrConfig)
	}
	// aes.NewCipher copies the key into its own schedule.
	block, err := aes.NewCipher(realmKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKandyKeySize, err)
	}
	return &KandyLegacy{block: block, realm: realm, expiry: expiry}, nil
}

// Realm returns the realm name.
func (k *KandyLegacy) Realm() string { return k.realm }

// Credentials returns the three tokens and the realm for a call from the
// realm's anonymous account user accountUserID to toUserID, timestamped now.
// As the vendor specifies, the from token names the account user.
func (k *KandyLegacy) Credentials(accountUserID, toUserID string, now time.Time) (KandyCredentials, error) {
	acct, err := k.AccountToken(accountUserID, now)
	if err != nil {
		return KandyCredentials{}, err
	}
	from, err := k.AddressToken(accountUserID, now)
	if err != nil {
		return KandyCredentials{}, err
	}
	to, err := k.AddressToken(toUserID, now)
	if err != nil {
		return KandyCredentials{}, err
	}
	return KandyCredentials{AccountToken: acct, FromToken: from, ToToken: to, Realm: k.realm}, nil
}

// AccountToken encrypts "userID;<now in Unix ms>".
func (k *KandyLegacy) AccountToken(userID string, now time.Time) (string, error) {
	return k.create("", userID, now)
}

// AddressToken encrypts "sip:userID;<now in Unix ms>", the from/to form.
func (k *KandyLegacy) AddressToken(userID string, now time.Time) (string, error) {
	return k.create("sip:", userID, now)
}

func (k *KandyLegacy) create(prefix, userID string, now time.Time) (string, error) {
	if !kandyUserIDOK(userID) || strings.HasPrefix(userID, "sip:") {
		return "", fmt.Errorf("%w: unusable user id", ErrKandyFormat)
	}
	plain := prefix + userID + ";" + strconv.FormatInt(now.UnixMilli(), 10)
	return k.EncryptLegacy(plain), nil
}

// EncryptLegacy encrypts an arbitrary plaintext exactly as Kandy does
// (AES-128-ECB, PKCS#5/7 padding, lowercase hex). It exists for byte-exact
// vector tests and unusual token shapes; prefer [KandyLegacy.Credentials].
func (k *KandyLegacy) EncryptLegacy(plain string) string {
	const bs = aes.BlockSize
	pad := bs - len(plain)%bs
	buf := make([]byte, len(plain)+pad)
	copy(buf, plain)
	for i := len(plain); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	for i := 0; i < len(buf); i += bs {
		k.block.Encrypt(buf[i:i+bs], buf[i:i+bs])
	}
	return hex.EncodeToString(buf)
}

// DecryptLegacy reverses [KandyLegacy.EncryptLegacy] without any format or
// time check. Hex of either case is accepted.
func (k *KandyLegacy) DecryptLegacy(token string) (string, error) {
	const bs = aes.BlockSize
	if len(token) == 0 || len(token) > kandyMaxHexLen || len(token)%2 != 0 {
		return "", fmt.Errorf("%w: length %d", ErrKandyEncoding, len(token))
	}
	buf, err := hex.DecodeString(token)
	if err != nil {
		return "", fmt.Errorf("%w: not hex", ErrKandyEncoding)
	}
	if len(buf)%bs != 0 {
		return "", fmt.Errorf("%w: not a whole number of blocks", ErrKandyEncoding)
	}
	for i := 0; i < len(buf); i += bs {
		k.block.Decrypt(buf[i:i+bs], buf[i:i+bs])
	}
	pad := int(buf[len(buf)-1])
	// Check every padding byte without branching on which one is wrong.
	// ECB has no chaining for a padding oracle to exploit, but there is no
	// reason to hand one out.
	good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, bs)
	for i := 1; i <= bs; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, pad)
		match := subtle.ConstantTimeByteEq(buf[len(buf)-i], byte(pad))
		good &= subtle.ConstantTimeSelect(inPad, match, 1)
	}
	if good != 1 {
		return "", ErrKandyPadding
	}
	return string(buf[:len(buf)-pad]), nil
}

// Verify decrypts a token, checks its padding and format, and checks its
// timestamp against now: older than the realm expiry is [ErrKandyExpired],
// newer than now plus [KandyLegacySkew] is [ErrKandyNotYetValid].
//
// A token that passes Verify proves only that someone with the realm key made
// blocks that decrypt to this text: spliced tokens pass (see [KandyLegacy]).
func (k *KandyLegacy) Verify(token string, now time.Time) (KandyToken, error) {
	plain, err := k.DecryptLegacy(token)
	if err != nil {
		return KandyToken{}, err
	}
	t, err := parseKandyPlain(plain)
	if err != nil {
		return KandyToken{}, err
	}
	age := now.Sub(t.Timestamp)
	if age > k.expiry {
		return KandyToken{}, fmt.Errorf("%w: issued %s ago", ErrKandyExpired, age)
	}
	if -age > KandyLegacySkew {
		return KandyToken{}, ErrKandyNotYetValid
	}
	return t, nil
}

func parseKandyPlain(plain string) (KandyToken, error) {
	var t KandyToken
	rest, isSIP := strings.CutPrefix(plain, "sip:")
	t.SIP = isSIP
	semi := strings.LastIndexByte(rest, ';')
	if semi < 0 {
		return KandyToken{}, fmt.Errorf("%w: no ';'", ErrKandyFormat)
	}
	t.UserID, rest = rest[:semi], rest[semi+1:]
	if !kandyUserIDOK(t.UserID) {
		return KandyToken{}, fmt.Errorf("%w: bad user id", ErrKandyFormat)
	}
	// Only plain decimal digits, as Date.now() prints them: no sign, no
	// spaces, at most 15 digits (year 33658), so the parse cannot overflow.
	if len(rest) == 0 || len(rest) > 15 || strings.TrimLeft(rest, "0123456789") != "" {
		return KandyToken{}, fmt.Errorf("%w: bad timestamp", ErrKandyFormat)
	}
	ms, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return KandyToken{}, fmt.Errorf("%w: bad timestamp", ErrKandyFormat)
	}
	t.Timestamp = time.UnixMilli(ms)
	return t, nil
}

// kandyUserIDOK accepts non-empty printable UTF-8 without ';' (the field
// separator) and without spaces or control characters.
func kandyUserIDOK(id string) bool {
	if id == "" || len(id) > 256 || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r == ';' || r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
