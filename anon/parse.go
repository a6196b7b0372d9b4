package anon

import (
	"strings"
	"unicode/utf8"
)

// MaxTargetLength caps the whole target string, name-addr included. Longer
// input is rejected before any other work.
const MaxTargetLength = 256

const (
	maxUserLength  = 64
	maxHostLength  = 253
	maxLabelLength = 63
)

// uriParts is a target after strict parsing. Every string is a substring
// of the input: parsing allocates nothing.
type uriParts struct {
	scheme       string // "sip", "sips" or "tel" (constants, lowercase)
	user         string // sip user part without user parameters, or tel number
	host         string // sip host as written (case not yet folded)
	userPhone    bool   // ;user=phone on a sip URI
	phoneContext bool   // ;phone-context= on the user part or tel number
	params       bool   // the sip URI carried any parameter
}

// parseTarget accepts an addr-spec ("sip:a@b") or a name-addr
// ("\"A\" <sip:a@b>", "A <sip:a@b>", "<sip:a@b>") and nothing else.
func parseTarget(s string) (uriParts, error) {
	if s == "" || len(s) > MaxTargetLength {
		return uriParts{}, ErrTooLong
	}
	u, err := unwrapNameAddr(s)
	if err != nil {
		return uriParts{}, err
	}
	return parseURI(u)
}

// unwrapNameAddr returns the URI inside a name-addr, or s itself when s is
// a bare URI. Only the display name may hold spaces or UTF-8; nothing may
// follow '>'.
func unwrapNameAddr(s string) (string, error) {
	if s[0] != '"' && strings.IndexByte(s, '<') < 0 {
		return s, nil
	}
	i := 0
	if s[0] == '"' {
		i = 1
		for {
			if i >= len(s) {
				return "", ErrNameAddr
			}
			c := s[i]
			if c == '"' {
				break
			}
			if c == '\\' {
				i++
				if i >= len(s) {
					return "", ErrNameAddr
				}
				c = s[i]
			}
			if isCtl(c) {
				return "", ErrCharacter
			}
			i++
		}
		if !utf8.ValidString(s[1:i]) {
			return "", ErrCharacter
		}
		i++ // closing quote
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	} else {
		for i < len(s) && s[i] != '<' {
			c := s[i]
			if c != ' ' && c != '\t' && !isTokenChar(c) {
				return "", ErrCharacter
			}
			i++
		}
	}
	if i >= len(s) || s[i] != '<' || s[len(s)-1] != '>' || len(s)-1 <= i {
		return "", ErrNameAddr
	}
	return s[i+1 : len(s)-1], nil
}

func parseURI(u string) (uriParts, error) {
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c <= ' ' || c >= 0x7f:
			return uriParts{}, ErrCharacter
		case c == '%':
			return uriParts{}, ErrEscaped
		case c == '?':
			return uriParts{}, ErrHeaders
		case c == '<' || c == '>' || c == '"':
			return uriParts{}, ErrNameAddr
		}
	}
	colon := strings.IndexByte(u, ':')
	if colon <= 0 {
		return uriParts{}, ErrScheme
	}
	rest := u[colon+1:]
	switch scheme := u[:colon]; {
	case equalFold(scheme, "sip"):
		return parseSIP("sip", rest)
	case equalFold(scheme, "sips"):
		return parseSIP("sips", rest)
	case equalFold(scheme, "tel"):
		return parseTel(rest)
	}
	return uriParts{}, ErrScheme
}

func parseSIP(scheme, rest string) (uriParts, error) {
	p := uriParts{scheme: scheme}
	at := strings.IndexByte(rest, '@')
	if at < 0 {
		return p, ErrUser // a user is always required
	}
	userinfo, hostport := rest[:at], rest[at+1:]
	if strings.IndexByte(userinfo, ':') >= 0 {
		return p, ErrPassword
	}
	user, uparams, hasUParams := strings.Cut(userinfo, ";")
	if user == "" {
		return p, ErrUser
	}
	if len(user) > maxUserLength {
		return p, ErrTooLong
	}
	for i := 0; i < len(user); i++ {
		if !isUserChar(user[i]) {
			return p, ErrUser
		}
	}
	p.user = user
	if hasUParams {
		pc, err := parsePhoneContextParams(uparams)
		if err != nil {
			return p, err
		}
		p.phoneContext = pc
	}

	host, params, hasParams := strings.Cut(hostport, ";")
	if host != "" && host[0] == '[' {
		return p, ErrIPLiteral
	}
	if strings.IndexByte(host, ':') >= 0 {
		return p, ErrPort
	}
	if err := checkHost(host); err != nil {
		return p, err
	}
	p.host = host
	if hasParams {
		p.params = true
		phone, err := parseSIPParams(params)
		if err != nil {
			return p, err
		}
		p.userPhone = phone
	}
	return p, nil
}

// parseSIPParams allows exactly one parameter, user=phone or user=ip.
// Everything else (maddr, transport, lr, ttl, method, ...) is rejected:
// those change where or how the request is sent, which is the server's
// decision, not the caller's.
func parseSIPParams(params string) (userPhone bool, err error) {
	name, value, ok := strings.Cut(params, "=")
	if !ok || !equalFold(name, "user") {
		return false, ErrParam
	}
	switch {
	case equalFold(value, "phone"):
		return true, nil
	case equalFold(value, "ip"):
		return false, nil
	}
	return false, ErrParam // includes a second ";param" inside value
}

// parsePhoneContextParams allows exactly one parameter, phone-context,
// whose value is a global number prefix or a domain name.
func parsePhoneContextParams(params string) (bool, error) {
	name, value, ok := strings.Cut(params, "=")
	if !ok || !equalFold(name, "phone-context") || value == "" {
		return false, ErrParam
	}
	if value[0] == '+' {
		digits := 0
		for i := 1; i < len(value); i++ {
			switch c := value[i]; {
			case isDigit(c):
				digits++
			case isVisualSeparator(c):
			default:
				return false, ErrParam
			}
		}
		if digits == 0 {
			return false, ErrParam
		}
		return true, nil
	}
	if checkHost(value) != nil {
		return false, ErrParam
	}
	return true, nil
}

// parseTel accepts RFC 3966 numbers: a global number "+digits" with
// visual separators and no parameters, or a local number with exactly one
// phone-context. Extensions, ISDN subaddresses and other parameters are
// rejected.
func parseTel(rest string) (uriParts, error) {
	p := uriParts{scheme: "tel", userPhone: true}
	num, params, hasParams := strings.Cut(rest, ";")
	if num == "" {
		return p, ErrNumber
	}
	if len(num) > maxUserLength {
		return p, ErrTooLong
	}
	global := num[0] == '+'
	digits := 0
	for i := 0; i < len(num); i++ {
		switch c := num[i]; {
		case isDigit(c):
			digits++
		case isVisualSeparator(c):
		case c == '+' && i == 0:
		default:
			return p, ErrNumber
		}
	}
	if digits == 0 {
		return p, ErrNumber
	}
	if hasParams {
		if global { // phone-context is for local numbers only
			return p, ErrParam
		}
		pc, err := parsePhoneContextParams(params)
		if err != nil {
			return p, err
		}
		p.phoneContext = pc
	} else if !global {
		return p, ErrNumber // a local number without context is ambiguous
	}
	p.user = num
	return p, nil
}

// checkHost accepts an RFC 1123 host name whose top label starts with a
// letter (RFC 3261 toplabel), which rules out dotted-quad, hex and single
// integer IPv4 forms that resolvers still accept. No trailing dot.
func checkHost(host string) error {
	if host == "" || len(host) > maxHostLength {
		return ErrHost
	}
	numeric := true
	start := 0
	for i := 0; i <= len(host); i++ {
		if i == len(host) || host[i] == '.' {
			label := host[start:i]
			if len(label) == 0 || len(label) > maxLabelLength ||
				label[0] == '-' || label[len(label)-1] == '-' {
				return ErrHost
			}
			start = i + 1
			continue
		}
		switch c := host[i]; {
		case isDigit(c):
		case isAlpha(c) || c == '-':
			numeric = false
		default:
			return ErrHost
		}
	}
	if numeric {
		return ErrIPLiteral
	}
	if !isAlpha(host[strings.LastIndexByte(host, '.')+1]) {
		return ErrHost
	}
	return nil
}

// hasPunycodeLabel reports whether any label starts with "xn--", the
// ACE prefix of an internationalised (possibly look-alike) name.
func hasPunycodeLabel(host string) bool {
	for start := 0; start < len(host); {
		if len(host)-start >= 4 && equalFold(host[start:start+4], "xn--") {
			return true
		}
		dot := strings.IndexByte(host[start:], '.')
		if dot < 0 {
			break
		}
		start += dot + 1
	}
	return false
}

func isCtl(c byte) bool   { return c < 0x20 || c == 0x7f }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// isVisualSeparator reports the RFC 3966 visual separators that may sit
// inside a number; space cannot occur inside a URI here.
func isVisualSeparator(c byte) bool { return c == '-' || c == '.' || c == '(' || c == ')' }

// isUserChar is a deliberately small subset of RFC 3261 user characters:
// letters, digits, "-_.+()". '*' and '#' (PBX feature codes), '&=$,/?!~'
// and everything else are rejected.
func isUserChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == '.' || c == '+' || c == '(' || c == ')'
}

// isTokenChar is RFC 3261 token, used for an unquoted display name.
func isTokenChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || strings.IndexByte("-.!%*_+`'~", c) >= 0
}

// equalFold is ASCII-only case-insensitive equality (no Unicode folding,
// so "K" (Kelvin sign) never equals "k").
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x != y {
			if x|0x20 != y|0x20 || !isAlpha(x) {
				return false
			}
		}
	}
	return true
}

// lowerASCII returns s in lowercase, allocating only if s has an
// uppercase letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
