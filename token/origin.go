package token

import (
	"fmt"
	"strconv"
	"strings"
)

// maxOriginLen bounds what ParseOrigin and Allowed will look at.
const maxOriginLen = 512

// Origins is an exact allow-list of web origins (RFC 6454): scheme, host and
// port must all match. It is immutable after [ParseOrigins] and safe for
// concurrent use. A nil *Origins allows nothing.
//
// Matching is by equality of normalised origins, never by substring, prefix
// or suffix: with "https://example.com" configured, "https://example.com.evil.net",
// "https://evil-example.com", "http://example.com", "https://example.com:8443"
// and "null" are all refused. Subdomains must be listed one by one.
type Origins struct {
	set  map[string]struct{}
	list []string
}

// ParseOrigins parses each entry with [ParseOrigin] and returns the
// allow-list. It fails with [ErrOrigin] on the first bad entry and on an
// empty list.
func ParseOrigins(list ...string) (*Origins, error) {
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: empty allow-list", ErrOrigin)
	}
	o := &Origins{set: make(map[string]struct{}, len(list))}
	for _, s := range list {
		n, err := ParseOrigin(s)
		if err != nil {
			return nil, err
		}
		if _, dup := o.set[n]; !dup {
			o.set[n] = struct{}{}
			o.list = append(o.list, n)
		}
	}
	return o, nil
}

// Allowed reports whether origin, as sent in an Origin request header, is in
// the list. An empty origin, "null", or anything that is not a plain
// http(s) origin is refused.
func (o *Origins) Allowed(origin string) bool {
	if o == nil || origin == "" {
		return false
	}
	// Browsers send the serialised form, so the common case is one lookup.
	if _, ok := o.set[origin]; ok {
		return true
	}
	n, err := ParseOrigin(origin)
	if err != nil {
		return false
	}
	_, ok := o.set[n]
	return ok
}

// List returns the normalised origins in configuration order.
func (o *Origins) List() []string {
	if o == nil {
		return nil
	}
	return append([]string(nil), o.list...)
}

// ParseOrigin parses s as an http or https origin "scheme://host[:port]" and
// returns its serialisation: scheme and host lowercased, a default port
// (80 for http, 443 for https) dropped. It fails with [ErrOrigin] for
// anything else: "null", other schemes, a path (even "/"), query, fragment,
// userinfo, wildcards, non-ASCII hosts (use the punycode form), bad ports.
func ParseOrigin(s string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w: %q: %s", ErrOrigin, truncate(s), why)
	}
	if len(s) > maxOriginLen {
		return bad("too long")
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return bad("want scheme://host[:port]")
	}
	scheme = strings.ToLower(scheme)
	var defPort string
	switch scheme {
	case "https":
		defPort = "443"
	case "http":
		defPort = "80"
	default:
		return bad("scheme must be http or https")
	}
	if strings.ContainsAny(rest, "/?#@*\\") {
		return bad("path, query, fragment, userinfo or wildcard")
	}
	host, port := rest, ""
	if strings.HasPrefix(rest, "[") { // IPv6 literal
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("unclosed IPv6 literal")
		}
		host, rest = rest[:end+1], rest[end+1:]
		if rest != "" {
			p, ok := strings.CutPrefix(rest, ":")
			if !ok {
				return bad("junk after IPv6 literal")
			}
			port = p
		}
		if !validIPv6Literal(host[1 : len(host)-1]) {
			return bad("bad IPv6 literal")
		}
	} else {
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port = rest[:i], rest[i+1:]
		}
		if !validHostname(host) {
			return bad("bad host")
		}
	}
	host = strings.ToLower(host)
	if port != "" || strings.HasSuffix(rest, ":") {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 || port[0] == '0' || port[0] == '+' {
			return bad("bad port")
		}
	}
	if port == "" || port == defPort {
		return scheme + "://" + host, nil
	}
	return scheme + "://" + host + ":" + port, nil
}

// validHostname accepts ASCII letters, digits, '-', '_' and '.' in non-empty
// labels (a single trailing dot is kept: it is a different origin).
func validHostname(h string) bool {
	if h == "" || len(h) > 253+1 {
		return false
	}
	label := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
			continue
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		label++
		if label > 63 {
			return false
		}
	}
	return true
}

// validIPv6Literal accepts hex digits, ':' and '.' (embedded IPv4); zone
// identifiers are not valid in origins.
func validIPv6Literal(a string) bool {
	if len(a) < 2 || strings.Count(a, ":") < 2 {
		return false
	}
	return strings.Trim(a, "0123456789abcdefABCDEF:.") == ""
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
