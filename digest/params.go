package digest

import (
	"fmt"
	"strings"
)

// Header parsing. Why not icholy/digest's parser: its ParseCredentials
// allocates a bufio.Reader (4 KB) plus a []Param and a string per value
// on every call (measured here: 7.5 KB and 59 allocations, roughly 60
// times the CPU of parseCredentials; 14% of registrar CPU in
// sipgo-performance.md), and it has the quirks listed in digest-facts.md
// §9 (case-sensitive keys, spaces only, no unquoted nonces, silent
// duplicates, qop list not trimmed, one challenge per line). Credentials
// are parsed in one pass in credentials.go, returning substrings of the
// header. Challenges (client side, not hot) use the list tokenizer below.
// icholy/digest stays in use for the client hash math and formatting, and
// as the cross-check oracle in the tests and fuzz targets.

// Bounds on what a peer can make us scan and hash.
const (
	maxHeaderLen = 8 << 10 // whole Authorization / challenge value
	maxValueLen  = 1 << 10 // any one parameter except uri
)

func isOWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// RFC 9110 tchar (ALPHA, DIGIT and !#$%&'*+-.^_`|~) as a 128-bit set,
// so the hot-path test is a shift and a mask.
const (
	tcharLo uint64 = 0x03ff6cfa00000000 // bytes 0..63
	tcharHi uint64 = 0x57ffffffc7fffffe // bytes 64..127
)

// isTchar reports whether c is an RFC 9110 token character.
func isTchar(c byte) bool {
	if c < 64 {
		return tcharLo>>c&1 != 0
	}
	return c < 128 && tcharHi>>(c-64)&1 != 0
}

func trimOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// nextElement returns the next comma-separated list element of s starting
// at i (commas inside quoted-strings do not split), trimmed of OWS, and
// the index after its comma. Empty elements are allowed (RFC 9110 §5.6.1).
func nextElement(s string, i int) (elem string, next int, err error) {
	start := i
	inQuote := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ',':
			return trimOWS(s[start:i]), i + 1, nil
		}
	}
	if inQuote || i > len(s) {
		return "", len(s), fmt.Errorf("%w: unterminated quoted-string", ErrMalformed)
	}
	return trimOWS(s[start:]), len(s), nil
}

// splitScheme reports whether elem starts a new challenge or credentials,
// that is "scheme" alone or "scheme OWS rest" where rest is not "=...".
func splitScheme(elem string) (scheme, rest string, ok bool) {
	i := 0
	for i < len(elem) && isTchar(elem[i]) {
		i++
	}
	if i == 0 {
		return "", "", false
	}
	if i == len(elem) {
		return elem, "", true
	}
	if !isOWS(elem[i]) {
		return "", "", false
	}
	rest = trimOWS(elem[i:])
	if rest == "" || rest[0] == '=' {
		return "", "", false
	}
	return elem[:i], rest, true
}

// parseParam splits "key OWS = OWS value". The value is a quoted-string
// (unescaped) or, tolerantly, any run of bytes without OWS or quotes, so
// unquoted base64 nonces work.
func parseParam(elem string) (key, value string, err error) {
	i := 0
	for i < len(elem) && isTchar(elem[i]) {
		i++
	}
	key = elem[:i]
	rest := trimOWS(elem[i:])
	if key == "" || rest == "" || rest[0] != '=' {
		return "", "", fmt.Errorf("%w: bad parameter", ErrMalformed)
	}
	rest = trimOWS(rest[1:])
	if rest == "" {
		return "", "", fmt.Errorf("%w: empty value for %.32q", ErrMalformed, key)
	}
	if rest[0] == '"' {
		value, err = unquote(rest)
		return key, value, err
	}
	for j := 0; j < len(rest); j++ {
		if c := rest[j]; c == '"' || c < 0x21 || c == 0x7f {
			return "", "", fmt.Errorf("%w: bad token value for %.32q", ErrMalformed, key)
		}
	}
	return key, rest, nil
}

// unquote decodes a quoted-string that must span all of s. Control
// characters other than HTAB are rejected (they have no business in
// digest parameters and would reach logs).
func unquote(s string) (string, error) {
	if len(s) < 2 || s[len(s)-1] != '"' {
		return "", fmt.Errorf("%w: bad quoted-string", ErrMalformed)
	}
	body := s[1 : len(s)-1]
	escaped := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if (c < 0x20 && c != '\t') || c == 0x7f {
			return "", fmt.Errorf("%w: control character in quoted-string", ErrMalformed)
		}
		if c == '\\' {
			escaped = true
			i++
			if i == len(body) {
				return "", fmt.Errorf("%w: bad quoted-string", ErrMalformed)
			}
			continue
		}
		if c == '"' {
			return "", fmt.Errorf("%w: bad quoted-string", ErrMalformed)
		}
	}
	if !escaped {
		return body, nil
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' {
			i++
		}
		b.WriteByte(body[i])
	}
	return b.String(), nil
}

// challenge is one parsed Digest challenge.
type challenge struct {
	realm, nonce, opaque, algorithm, charset string
	qop                                      []string
	stale, userhash                          bool
}

// parseChallenges extracts every Digest challenge from one header value,
// which may join several challenges, of any scheme, with commas (HTTP
// allows it; SIP does not, but tolerating it costs nothing). Challenges
// of other schemes are skipped; a Digest challenge with a duplicate or
// unparsable parameter is dropped, not guessed at.
func parseChallenges(s string) []challenge {
	if len(s) > maxHeaderLen {
		return nil
	}
	var out []challenge
	var cur *challenge
	var seen uint16
	bad := false
	flush := func() {
		if cur != nil && !bad && cur.realm != "" && cur.nonce != "" {
			out = append(out, *cur)
		}
		cur, seen, bad = nil, 0, false
	}
	for i := 0; i < len(s); {
		elem, next, err := nextElement(s, i)
		if err != nil {
			break
		}
		i = next
		if elem == "" {
			continue
		}
		if scheme, rest, ok := splitScheme(elem); ok {
			flush()
			if strings.EqualFold(scheme, "Digest") {
				cur = &challenge{}
			}
			if elem = rest; elem == "" {
				continue
			}
		}
		if cur == nil || bad {
			continue // another scheme's parameter or token68
		}
		key, value, err := parseParam(elem)
		if err != nil {
			bad = true
			continue
		}
		bit := uint16(0)
		switch strings.ToLower(key) {
		case "realm":
			bit, cur.realm = 1<<0, value
		case "nonce":
			bit, cur.nonce = 1<<1, value
		case "opaque":
			bit, cur.opaque = 1<<2, value
		case "algorithm":
			bit, cur.algorithm = 1<<3, value
		case "qop":
			bit = 1 << 4
			for q := range strings.SplitSeq(value, ",") {
				if q = trimOWS(q); q != "" {
					cur.qop = append(cur.qop, strings.ToLower(q))
				}
			}
		case "stale":
			bit, cur.stale = 1<<5, strings.EqualFold(value, "true")
		case "userhash":
			bit, cur.userhash = 1<<6, strings.EqualFold(value, "true")
		case "charset":
			bit, cur.charset = 1<<7, value
		case "domain":
			bit = 1 << 8
		}
		if seen&bit != 0 {
			bad = true
		}
		seen |= bit
	}
	flush()
	return out
}
