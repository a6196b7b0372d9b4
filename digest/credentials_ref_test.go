package digest

// The credentials parser as it was before the single-backslash-scan and
// find-the-equals-sign version (commit 7172fd0), kept as the oracle for
// FuzzParseCredentialsMatchesReference: both must accept the same inputs
// and return the same fields.

import (
	"fmt"
	"strings"
)

func (c *credentials) fieldRef(key string) (uint16, *string) {
	// Exact lowercase names are what clients send; the string switch
	// compiles to length and word compares.
	switch key {
	case "username":
		return cpUsername, &c.username
	case "realm":
		return cpRealm, &c.realm
	case "nonce":
		return cpNonce, &c.nonce
	case "uri":
		return cpURI, &c.uri
	case "response":
		return cpResponse, &c.response
	case "algorithm":
		return cpAlgorithm, &c.algorithm
	case "cnonce":
		return cpCnonce, &c.cnonce
	case "opaque":
		return cpOpaque, &c.opaque
	case "qop":
		return cpQOP, &c.qop
	case "nc":
		return cpNC, &c.nc
	}
	// Any other case (RFC 9110 parameter names are case-insensitive).
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
		if err := c.setRef(key, value); err != nil {
			return err
		}
	}
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

func (c *credentials) setRef(key, value string) error {
	bit, dst := c.fieldRef(key)
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
