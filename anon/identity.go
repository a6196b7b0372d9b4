package anon

import (
	"crypto/rand"
	"fmt"
	"strings"
	"unicode/utf8"
)

// AnonymousDomain is the host of every anonymous identity. The .invalid
// top-level domain (RFC 6761) never resolves, so an anonymous address can
// place calls but can never be called back.
const AnonymousDomain = "anonymous.invalid"

const (
	anonymousUserPrefix = "anonymous."
	// randomLength characters of randomAlphabet carry 5 bits each: 80 bits.
	randomLength   = 16
	randomAlphabet = "abcdefghijklmnopqrstuvwxyz234567"
	// maxDisplayNameLength caps a display name in bytes.
	maxDisplayNameLength = 64
)

// Identity is an anonymous SIP identity for one website visitor.
type Identity struct {
	DisplayName string // shown to the callee; may be empty
	User        string // "anonymous." followed by 16 random characters [a-z2-7]
}

// NewIdentity returns a fresh identity whose user part carries 80 bits
// from crypto/rand. displayName is optional; it must be valid UTF-8 of at
// most 64 bytes without control, line-separator or bidirectional-override
// characters (ErrDisplayName).
func NewIdentity(displayName string) (Identity, error) {
	if err := checkDisplayName(displayName); err != nil {
		return Identity{}, err
	}
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Identity{}, fmt.Errorf("anon: reading randomness: %w", err)
	}
	var user [len(anonymousUserPrefix) + randomLength]byte
	n := copy(user[:], anonymousUserPrefix)
	for _, half := range [2][]byte{b[:5], b[5:]} {
		v := uint64(half[0])<<32 | uint64(half[1])<<24 | uint64(half[2])<<16 | uint64(half[3])<<8 | uint64(half[4])
		for shift := 35; shift >= 0; shift -= 5 {
			user[n] = randomAlphabet[(v>>uint(shift))&31]
			n++
		}
	}
	return Identity{DisplayName: displayName, User: string(user[:])}, nil
}

// URI returns "sip:anonymous.<random>@anonymous.invalid", or "" for the
// zero Identity.
func (id Identity) URI() string {
	if id.User == "" {
		return ""
	}
	return "sip:" + id.User + "@" + AnonymousDomain
}

// String returns the name-addr form, `"Display Name" <sip:...>`, with '"'
// and '\' escaped, or `<sip:...>` without a display name. A display name
// that NewIdentity would reject is left out rather than emitted.
func (id Identity) String() string {
	uri := id.URI()
	if uri == "" {
		return ""
	}
	if id.DisplayName == "" || checkDisplayName(id.DisplayName) != nil {
		return "<" + uri + ">"
	}
	var sb strings.Builder
	sb.Grow(len(id.DisplayName) + len(uri) + 8)
	sb.WriteByte('"')
	for i := 0; i < len(id.DisplayName); i++ {
		if c := id.DisplayName[i]; c == '"' || c == '\\' {
			sb.WriteByte('\\')
		}
		sb.WriteByte(id.DisplayName[i])
	}
	sb.WriteString(`" <`)
	sb.WriteString(uri)
	sb.WriteByte('>')
	return sb.String()
}

// IsAnonymous reports whether uri (a URI or a name-addr) is an address
// NewIdentity could have produced: scheme sip or sips, host exactly
// anonymous.invalid (any case), user "anonymous." plus 16 characters of
// [a-z2-7], no parameters. It is strict: anything else in
// anonymous.invalid, such as "anonymous.12345", is not one.
func IsAnonymous(uri string) bool {
	if uri == "" || len(uri) > MaxTargetLength {
		return false
	}
	inner, err := unwrapNameAddr(uri)
	if err != nil {
		return false
	}
	u, err := parseURI(inner)
	if err != nil || u.scheme == "tel" || u.params || u.phoneContext ||
		!equalFold(u.host, AnonymousDomain) {
		return false
	}
	return validAnonymousUser(u.user)
}

func validAnonymousUser(user string) bool {
	if len(user) != len(anonymousUserPrefix)+randomLength ||
		!strings.HasPrefix(user, anonymousUserPrefix) {
		return false
	}
	for i := len(anonymousUserPrefix); i < len(user); i++ {
		if strings.IndexByte(randomAlphabet, user[i]) < 0 {
			return false
		}
	}
	return true
}

func checkDisplayName(name string) error {
	if len(name) > maxDisplayNameLength || !utf8.ValidString(name) {
		return ErrDisplayName
	}
	for _, r := range name {
		switch {
		case r < 0x20 || (r >= 0x7f && r <= 0x9f): // C0, DEL, C1
			return ErrDisplayName
		case r == 0x2028 || r == 0x2029: // line and paragraph separators
			return ErrDisplayName
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f:
			return ErrDisplayName // bidirectional overrides ("Trojan Source")
		}
	}
	return nil
}
