package digest

import (
	"fmt"
	"strings"
	"unicode/utf8"
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
// exact reports a match of the lowercase spelling, which proves key is a
// token; every other key must be checked by the caller.
func (c *credentials) field(key string) (bit uint16, dst *string, exact bool) {
	// Exact lowercase names are what clients send; the string switch
	// compiles to length and word compares.
	switch key {
	case "username":
		return cpUsername, &c.username, true
	case "realm":
		return cpRealm, &c.realm, true
	case "nonce":
		return cpNonce, &c.nonce, true
	case "uri":
		return cpURI, &c.uri, true
	case "response":
		return cpResponse, &c.response, true
	case "algorithm":
		return cpAlgorithm, &c.algorithm, true
	case "cnonce":
		return cpCnonce, &c.cnonce, true
	case "opaque":
		return cpOpaque, &c.opaque, true
	case "qop":
		return cpQOP, &c.qop, true
	case "nc":
		return cpNC, &c.nc, true
	}
	// Any other case (RFC 9110 parameter names are case-insensitive).
	switch len(key) {
	case 2:
		if strings.EqualFold(key, "nc") {
			return cpNC, &c.nc, false
		}
	case 3:
		switch {
		case strings.EqualFold(key, "uri"):
			return cpURI, &c.uri, false
		case strings.EqualFold(key, "qop"):
			return cpQOP, &c.qop, false
		}
	case 5:
		if strings.EqualFold(key, "realm") || strings.EqualFold(key, "nonce") {
			if key[0]|0x20 == 'r' {
				return cpRealm, &c.realm, false
			}
			return cpNonce, &c.nonce, false
		}
	case 6:
		switch {
		case strings.EqualFold(key, "cnonce"):
			return cpCnonce, &c.cnonce, false
		case strings.EqualFold(key, "opaque"):
			return cpOpaque, &c.opaque, false
		}
	case 8:
		if strings.EqualFold(key, "username") {
			return cpUsername, &c.username, false
		}
		if strings.EqualFold(key, "response") {
			return cpResponse, &c.response, false
		}
		if strings.EqualFold(key, "userhash") {
			return cpUserhash, nil, false
		}
	case 9:
		if strings.EqualFold(key, "algorithm") {
			return cpAlgorithm, &c.algorithm, false
		}
		if strings.EqualFold(key, "username*") {
			return cpUsernameStar, nil, false
		}
	}
	return 0, nil, false
}

// parseCredentials parses a "Digest ..." credentials value strictly:
// scheme Digest (any case), known parameters at most once, bounded sizes,
// and username, realm, nonce, uri and response all present. Unknown
// parameters are ignored (RFC 7616 auth-param extensibility). It is a
// single pass over s because it runs on every authenticated request.
func parseCredentials(s string, c *credentials) error {
	*c = credentials{}
	if len(s) > maxHeaderLen {
		return fmt.Errorf("%w: header too long", ErrMalformed)
	}
	i := skipOWS(s, 0)
	j := scanToken(s, i)
	if !strings.EqualFold(s[i:j], "Digest") || (j < len(s) && !isOWS(s[j])) {
		return fmt.Errorf("%w: not a Digest credential", ErrMalformed)
	}
	i = j
	// One scan for backslashes: without any, every quoted value ends at
	// the next quote (scanValue), the common case.
	escapes := strings.IndexByte(s[i:], '\\') >= 0
	needComma := false
	for {
		// Empty list elements (",,") are allowed, RFC 9110 §5.6.1.
		i = skipOWS(s, i)
		for i < len(s) && s[i] == ',' {
			needComma = false
			i = skipOWS(s, i+1)
		}
		if i == len(s) {
			break
		}
		if needComma {
			return fmt.Errorf("%w: expected comma", ErrMalformed)
		}
		// The key is everything up to "=", less trailing OWS; set checks
		// that it is a token. Finding "=" with the vectorised IndexByte
		// beats testing each key byte, and a malformed element (a second
		// scheme, "a b=c") fails that check.
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return fmt.Errorf("%w: bad parameter", ErrMalformed)
		}
		key := trimRightOWS(s[i : i+eq])
		i = skipOWS(s, i+eq+1)
		var value string
		var err error
		if value, i, err = scanValue(s, i, escapes); err != nil {
			return err
		}
		needComma = true
		if err := c.set(key, value); err != nil {
			return err
		}
	}
	return c.complete()
}

// complete checks the parameters of a parsed credential together: a
// printable user name, username or username* (not both, and username*
// never hashed), and realm, nonce, uri and response all present.
func (c *credentials) complete() error {
	for k := 0; k < len(c.username); k++ {
		if b := c.username[k]; b < 0x20 || b == 0x7f {
			return fmt.Errorf("%w: control character in username", ErrMalformed)
		}
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

// set stores one parameter, rejecting duplicates and keys that are not
// tokens.
func (c *credentials) set(key, value string) error {
	bit, dst, exact := c.field(key)
	if !exact && !isToken(key) {
		return fmt.Errorf("%w: bad parameter", ErrMalformed)
	}
	if bit == 0 {
		return nil
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
	return nil
}

func skipOWS(s string, i int) int {
	for i < len(s) && isOWS(s[i]) {
		i++
	}
	return i
}

func trimRightOWS(s string) string {
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return s != ""
}

func scanToken(s string, i int) int {
	for i < len(s) && isTchar(s[i]) {
		i++
	}
	return i
}

// scanValue reads a quoted-string or, tolerantly, an unquoted run of
// visible characters other than comma and quote (so unquoted base64
// nonces work), and returns the value and the index after it. escapes
// says whether s has a backslash anywhere from i on.
func scanValue(s string, i int, escapes bool) (string, int, error) {
	if i == len(s) {
		return "", i, fmt.Errorf("%w: empty value", ErrMalformed)
	}
	if s[i] != '"' {
		j := i
		for j < len(s) && s[j] > 0x20 && s[j] != ',' && s[j] != '"' && s[j] != 0x7f {
			j++
		}
		if j == i || (j < len(s) && !isOWS(s[j]) && s[j] != ',') {
			return "", j, fmt.Errorf("%w: bad token value", ErrMalformed)
		}
		return s[i:j], j, nil
	}
	// Fast path: find the closing quote with the vectorised IndexByte; an
	// escape before it sends us to unquote. Control characters are only
	// checked where a value can reach the application (the user name,
	// in parseCredentials): every other value is compared with our own
	// or hashed, so a control character can only make it fail.
	start := i + 1
	q := strings.IndexByte(s[start:], '"')
	if q < 0 {
		return "", len(s), fmt.Errorf("%w: unterminated quoted-string", ErrMalformed)
	}
	if !escapes || strings.IndexByte(s[start:start+q], '\\') < 0 {
		return s[start : start+q], start + q + 1, nil
	}
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '"':
			v, err := unquote(s[i : j+1])
			return v, j + 1, err
		case '\\':
			j++
		}
	}
	return "", len(s), fmt.Errorf("%w: unterminated quoted-string", ErrMalformed)
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
	for _, c := range b {
		if c < 0x20 || c == 0x7f {
			return "", fmt.Errorf("%w: control character in username*", ErrMalformed)
		}
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("%w: username* is not UTF-8", ErrMalformed)
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
