package digest

// The credentials parser's scanning as it was before the
// single-backslash-scan and find-the-equals-sign version (commit 7172fd0),
// kept as the oracle for FuzzParseCredentialsMatchesReference: both must
// accept the same inputs and return the same fields. What that commit did
// not change (storing a parameter, the final checks) is shared.

import (
	"fmt"
	"strings"
)

func parseCredentialsRef(s string, c *credentials) error {
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
		k := scanToken(s, i)
		key := s[i:k]
		i = skipOWS(s, k)
		if key == "" || i == len(s) || s[i] != '=' {
			// Also catches a second scheme ("..., Digest x=y").
			return fmt.Errorf("%w: bad parameter", ErrMalformed)
		}
		i = skipOWS(s, i+1)
		var value string
		var err error
		if value, i, err = scanValueRef(s, i); err != nil {
			return err
		}
		needComma = true
		if err := c.set(key, value); err != nil {
			return err
		}
	}
	return c.complete()
}

func scanValueRef(s string, i int) (string, int, error) {
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
	if strings.IndexByte(s[start:start+q], '\\') < 0 {
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
