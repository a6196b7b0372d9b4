package digest

import (
	"fmt"
	"strings"
)

// credentials is a parsed Digest Authorization value. All strings are
// substrings of the header (or unescaped copies), so parsing it does not
// allocate for ordinary headers.
type credentials struct {
	username, realm, nonce, uri, response string
	algorithm, cnonce, opaque, qop, nc    string
	userhash                              bool
	present                               uint16 // one cp* bit per parameter seen
}

// Bits of credentials.present.
const (
	cpUsername uint16 = 1 << iota
	cpRealm
	cpNonce
	cpURI
	cpResponse
	cpAlgorithm
	cpCnonce
	cpOpaque
	cpQOP
	cpNC
	cpUserhash
	cpUsernameStar
)

// field maps a parameter name (any case) to its bit and destination.
func (c *credentials) field(key string) (uint16, *string) {
	// Switch on length first so the common case needs one EqualFold.
	switch len(key) {
	case 2:
		if strings.EqualFold(key, "nc") {
			return cpNC, &c.nc
		}
	case 3:
		switch {
		case strings.EqualFold(key, "uri"):
			return cpURI, &c.uri
		case strings.EqualFold(key, "qop"):
			return cpQOP, &c.qop
		}
	case 5:
		if strings.EqualFold(key, "realm") || strings.EqualFold(key, "nonce") {
			if key[0]|0x20 == 'r' {
				return cpRealm, &c.realm
			}
			return cpNonce, &c.nonce
		}
	case 6:
		switch {
		case strings.EqualFold(key, "cnonce"):
			return cpCnonce, &c.cnonce
		case strings.EqualFold(key, "opaque"):
			return cpOpaque, &c.opaque
		}
	case 8:
		if strings.EqualFold(key, "username") {
			return cpUsername, &c.username
		}
		if strings.EqualFold(key, "response") {
			return cpResponse, &c.response
		}
		if strings.EqualFold(key, "userhash") {
			return cpUserhash, nil
		}
	case 9:
		if strings.EqualFold(key, "algorithm") {
			return cpAlgorithm, &c.algorithm
		}
		if strings.EqualFold(key, "username*") {
			return cpUsernameStar, nil
		}
	}
	return 0, nil
}

// parseCredentials parses a "Digest ..." credentials value strictly:
// scheme Digest (any case), known parameters at most once, bounded sizes,
// and username, realm, nonce, uri and response all present. Unknown
// parameters are ignored (RFC 7616 auth-param extensibility).
func parseCredentials(s string, c *credentials) error {
	*c = credentials{}
	if len(s) > maxHeaderLen {
		return fmt.Errorf("%w: header too long", ErrMalformed)
	}
	first := true
	for i := 0; i < len(s); {
		elem, next, err := nextElement(s, i)
		if err != nil {
			return err
		}
		i = next
		if first {
			scheme, rest, ok := splitScheme(elem)
			if !ok || !strings.EqualFold(scheme, "Digest") {
				return fmt.Errorf("%w: not a Digest credential", ErrMalformed)
			}
			first = false
			if elem = rest; elem == "" {
				continue
			}
		}
		if elem == "" {
			continue
		}
		if _, _, ok := splitScheme(elem); ok {
			return fmt.Errorf("%w: more than one credential in one value", ErrMalformed)
		}
		key, value, err := parseParam(elem)
		if err != nil {
			return err
		}
		bit, dst := c.field(key)
		if bit == 0 {
			continue
		}
		if c.present&bit != 0 {
			return fmt.Errorf("%w: duplicate parameter %s", ErrMalformed, strings.ToLower(key))
		}
		c.present |= bit
		if bit != cpURI && len(value) > maxValueLen {
			return fmt.Errorf("%w: parameter %s too long", ErrMalformed, strings.ToLower(key))
		}
		switch {
		case dst != nil:
			*dst = value
		case bit == cpUserhash:
			switch {
			case strings.EqualFold(value, "true"):
				c.userhash = true
			case strings.EqualFold(value, "false"):
			default:
				return fmt.Errorf("%w: bad userhash", ErrMalformed)
			}
		case bit == cpUsernameStar:
			// RFC 7616 §3.4.4 username* (RFC 8187 ext-value).
			u, err := decodeExtValue(value)
			if err != nil {
				return err
			}
			c.username = u
		}
	}
	if first {
		return fmt.Errorf("%w: empty", ErrMalformed)
	}
	if c.present&cpUsername != 0 && c.present&cpUsernameStar != 0 {
		return fmt.Errorf("%w: both username and username*", ErrMalformed)
	}
	if c.present&cpUsernameStar != 0 && c.userhash {
		return fmt.Errorf("%w: username* with userhash", ErrMalformed)
	}
	const required = cpRealm | cpNonce | cpURI | cpResponse
	if c.present&required != required || c.present&(cpUsername|cpUsernameStar) == 0 {
		return fmt.Errorf("%w: missing parameter", ErrMalformed)
	}
	return nil
}

// decodeExtValue decodes an RFC 8187 ext-value (charset, an optional
// language tag between apostrophes, then percent-encoded bytes).
// Only the UTF-8 charset is accepted (RFC 7616 §3.4.4 requires it).
func decodeExtValue(v string) (string, error) {
	charset, rest, ok := strings.Cut(v, "'")
	if !ok || !strings.EqualFold(charset, "UTF-8") {
		return "", fmt.Errorf("%w: username* charset", ErrMalformed)
	}
	_, enc, ok := strings.Cut(rest, "'") // skip language tag
	if !ok {
		return "", fmt.Errorf("%w: bad username*", ErrMalformed)
	}
	b := make([]byte, 0, len(enc))
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(enc) {
			return "", fmt.Errorf("%w: bad username* escape", ErrMalformed)
		}
		hi, ok1 := unhex(enc[i+1])
		lo, ok2 := unhex(enc[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("%w: bad username* escape", ErrMalformed)
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
