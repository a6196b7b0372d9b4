package sip

import "bytes"

// regScan is a REGISTER read by scanRegister: slices of the datagram,
// valid only while it is.
type regScan struct {
	uri        []byte
	vias       [maxScanVias][]byte
	nVia       int
	from, to   []byte
	toUser     []byte
	toHost     []byte
	toTag      bool
	callID     []byte
	cseq       []byte
	cseqNo     uint32
	authz      []byte
	hasAuthz   bool
	expires    []byte
	hasExpires bool
	contact    scannedURI
	hasContact bool
	maxFwd     bool
	contentLen bool
}

// scannedURI is a name-addr "<sip:user@host:port>;params" read by
// scanNameAddr.
type scannedURI struct {
	uri        []byte // sip:user@host:port
	user, host []byte
	tag        bool
	expires    []byte
	hasExpires bool
}

// maxScanVias is how many Via headers the fast path copies; more and it
// declines.
const maxScanVias = 8

// scanRegister reads the REGISTER requests the UDP fast path answers and
// declines (false) everything else, which the sipgo path then handles.
// It accepts only a strict subset of RFC 3261 that sipgo is known to read
// the same way: CRLF line ends, no folding, printable ASCII only, no
// duplicate single-valued headers, one value per header line, Via
// "SIP/2.0/T host[:port];params", name-addrs without display name
// "<sip:[user@]host[:port]>;params" with lowercase parameter names and
// token values, Content-Length 0 and no body. Whatever the registrar
// decides is decided on the same regRequest as for the sipgo path.
func scanRegister(data []byte, sc *regScan) bool {
	line, rest, ok := cutLine(data)
	if !ok || len(line) <= len("REGISTER  SIP/2.0") ||
		!bytes.HasPrefix(line, []byte("REGISTER ")) || !bytes.HasSuffix(line, []byte(" SIP/2.0")) {
		return false
	}
	sc.uri = line[len("REGISTER ") : len(line)-len(" SIP/2.0")]
	if _, _, ok := scanSIPURI(sc.uri); !ok {
		return false
	}
	for {
		line, rest, ok = cutLine(rest)
		if !ok {
			return false
		}
		if len(line) == 0 {
			break
		}
		if !scanHeader(line, sc) {
			return false
		}
	}
	return len(rest) == 0 && sc.nVia > 0 && sc.from != nil && sc.to != nil && sc.callID != nil &&
		sc.cseq != nil && sc.contentLen
}

// cutLine returns the line before the next CRLF; a lone CR or LF, or a
// byte outside printable ASCII, declines.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			if i+1 < len(b) && b[i+1] == '\n' {
				return b[:i], b[i+2:], true
			}
			return nil, nil, false
		}
		if c < 0x20 || c > 0x7e {
			return nil, nil, false
		}
	}
	return nil, nil, false
}

func scanHeader(line []byte, sc *regScan) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return false // also a leading space: folding
	}
	name := line[:colon]
	value := bytes.Trim(line[colon+1:], " ")
	if len(value) == 0 {
		return false
	}
	var lower [16]byte
	if len(name) > len(lower) {
		return true // no header the registrar reads; sipgo keeps it as is
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	switch string(lower[:len(name)]) {
	case "via", "v":
		if sc.nVia == maxScanVias || !scanVia(value) {
			return false
		}
		sc.vias[sc.nVia] = value
		sc.nVia++
	case "from", "f":
		var u scannedURI
		if sc.from != nil || !scanNameAddr(value, &u) {
			return false
		}
		sc.from = value
	case "to", "t":
		var u scannedURI
		if sc.to != nil || !scanNameAddr(value, &u) {
			return false
		}
		sc.to, sc.toUser, sc.toHost, sc.toTag = value, u.user, u.host, u.tag
	case "call-id", "i":
		if sc.callID != nil || bytes.ContainsAny(value, " \"") {
			return false
		}
		sc.callID = value
	case "cseq":
		n, ok := scanCSeq(value)
		if sc.cseq != nil || !ok {
			return false
		}
		sc.cseq, sc.cseqNo = value, n
	case "contact", "m":
		if sc.hasContact || !scanNameAddr(value, &sc.contact) {
			return false
		}
		sc.hasContact = true
	case "expires":
		if sc.hasExpires {
			return false
		}
		sc.expires, sc.hasExpires = value, true
	case "authorization":
		if sc.hasAuthz {
			return false
		}
		sc.authz, sc.hasAuthz = value, true
	case "max-forwards":
		if _, ok := scanUint(value, 9); sc.maxFwd || !ok {
			return false
		}
		sc.maxFwd = true
	case "content-length", "l":
		if sc.contentLen || string(value) != "0" {
			return false
		}
		sc.contentLen = true
	case "content-type", "c", "route", "record-route", "refer-to", "referred-by":
		return false // sipgo parses these and might reject them
	}
	return true
}

// scanCSeq accepts "<seq> REGISTER" as sipgo would write it back.
func scanCSeq(v []byte) (uint32, bool) {
	num, method, ok := bytes.Cut(v, []byte(" "))
	if !ok || string(method) != "REGISTER" {
		return 0, false
	}
	return scanUint(num, 9)
}

// scanUint reads 1 to maxDigits decimal digits without leading zeros.
func scanUint(b []byte, maxDigits int) (uint32, bool) {
	if len(b) == 0 || len(b) > maxDigits || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var n uint32
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint32(c-'0')
	}
	return n, true
}

// scanVia accepts "SIP/2.0/TRANSPORT host[:port]" and parameters.
func scanVia(v []byte) bool {
	rest, ok := bytes.CutPrefix(v, []byte("SIP/2.0/"))
	if !ok {
		return false
	}
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return false
	}
	for _, c := range rest[:sp] {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	hostport, params, hasParams := bytes.Cut(rest[sp+1:], []byte(";"))
	if _, ok := scanHostPort(hostport); !ok {
		return false
	}
	return !hasParams || scanParams(params, nil)
}

// scanNameAddr accepts "<sip:[user@]host[:port]>" and parameters.
func scanNameAddr(v []byte, u *scannedURI) bool {
	if len(v) < 2 || v[0] != '<' {
		return false
	}
	end := bytes.IndexByte(v, '>')
	if end < 0 {
		return false
	}
	u.uri = v[1:end]
	var ok bool
	if u.user, u.host, ok = scanSIPURI(u.uri); !ok {
		return false
	}
	rest := v[end+1:]
	if len(rest) == 0 {
		return true
	}
	if rest[0] != ';' {
		return false
	}
	return scanParams(rest[1:], u)
}

// scanSIPURI accepts "sip:[user@]host[:port]" with a conservative
// character set and returns user and host.
func scanSIPURI(b []byte) (user, host []byte, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte("sip:"))
	if !ok {
		return nil, nil, false
	}
	if at := bytes.IndexByte(rest, '@'); at >= 0 {
		user, rest = rest[:at], rest[at+1:]
		if len(user) == 0 {
			return nil, nil, false
		}
		for _, c := range user {
			if !isUserChar(c) {
				return nil, nil, false
			}
		}
	}
	host, ok = scanHostPort(rest)
	return user, host, ok
}

// scanHostPort accepts a host name or IPv4 address and an optional port
// (1-65535, no leading zero) and returns the host.
func scanHostPort(b []byte) ([]byte, bool) {
	host, port, hasPort := bytes.Cut(b, []byte(":"))
	if len(host) == 0 || host[0] == '-' || host[0] == '.' {
		return nil, false
	}
	for _, c := range host {
		if !isAlnum(c) && c != '-' && c != '.' {
			return nil, false
		}
	}
	if hasPort {
		if n, ok := scanUint(port, 5); !ok || n == 0 || n > 65535 {
			return nil, false
		}
	}
	return host, true
}

// scanParams accepts one or more ";"-separated "name[=token]" parameters
// (the leading ";" already cut), names lowercase and unique, none empty.
// With u it notes tag and expires.
func scanParams(b []byte, u *scannedURI) bool {
	var seen [8][]byte
	n := 0
	for more := true; more; {
		var p []byte
		p, b, more = bytes.Cut(b, []byte(";"))
		name, value, hasValue := bytes.Cut(p, []byte("="))
		if len(name) == 0 || (hasValue && len(value) == 0) || n == len(seen) {
			return false
		}
		for _, c := range name {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
				return false
			}
		}
		if hasValue && !isToken(value) {
			return false
		}
		for _, s := range seen[:n] {
			if bytes.Equal(s, name) {
				return false
			}
		}
		seen[n] = name
		n++
		if u != nil {
			switch string(name) {
			case "tag":
				u.tag = true
			case "expires":
				u.expires, u.hasExpires = value, true
			}
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isUserChar: unreserved characters of RFC 3261 §25.1 (no escapes).
func isUserChar(c byte) bool {
	return isAlnum(c) || c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '\''
}

// isToken: RFC 3261 token, less '%' (escapes) and '`'.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isAlnum(c) && c != '-' && c != '.' && c != '!' && c != '*' && c != '_' && c != '+' && c != '\'' && c != '~' {
			return false
		}
	}
	return true
}
