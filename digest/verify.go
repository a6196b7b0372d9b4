package digest

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
)

// Request is the transport-neutral view of a request being authenticated.
type Request struct {
	Method string
	// URI is the Request-URI exactly as received (SIP) or the
	// request-target (HTTP, r.RequestURI). The credentials' uri must be
	// byte-for-byte equal, URI parameters included.
	URI string
	// Authorization is one Authorization or Proxy-Authorization value,
	// "" if absent. SIP sends one header line per realm: pass the one
	// for this server's realm (see [SelectCredentials]).
	Authorization string
	// Body is the message body, hashed only for qop=auth-int.
	Body []byte
	// ClientAddr is the client IP, used only with Config.BindClientAddr.
	ClientAddr netip.Addr
}

// Verify checks r's credentials and returns the authenticated user name.
// Errors wrap the sentinels in errors.go. The order of checks matters:
// the nonce MAC is checked before any lookup, the response before the
// nonce age (so stale=true is never a password oracle), and the replay
// cache is written only for correct responses (so forged requests cannot
// fill it). Unknown users are verified against a dummy HA1 and fail with
// the same ErrBadCredentials as a wrong password.
func (s *Server) Verify(ctx context.Context, r Request) (string, error) {
	user, err := s.verify(ctx, r)
	if err != nil && s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "digest verification failed",
			slog.String("err", err.Error()), slog.String("method", r.Method),
			slog.String("client", r.ClientAddr.String()))
	}
	return user, err
}

func (s *Server) verify(ctx context.Context, r Request) (string, error) {
	if r.Authorization == "" {
		return "", ErrNoCredentials
	}
	var c credentials
	if err := parseCredentials(r.Authorization, &c); err != nil {
		return "", err
	}
	alg, ok := parseAlgorithm(c.algorithm)
	if !ok || !slices.Contains(s.algs, alg) {
		return "", ErrUnknownAlgorithm
	}
	if c.realm != s.realm {
		return "", ErrWrongRealm
	}
	if c.uri != r.URI {
		return "", ErrURIMismatch
	}
	if c.opaque != s.opaque {
		return "", fmt.Errorf("%w: opaque mismatch", ErrMalformed)
	}
	if len(c.response) != alg.hexLen() {
		return "", fmt.Errorf("%w: response length", ErrMalformed)
	}
	var nc uint32
	authInt := false
	if c.present&cpQOP == 0 {
		if !s.noQOP || c.present&(cpNC|cpCnonce) != 0 {
			return "", fmt.Errorf("%w: qop required", ErrMalformed)
		}
	} else {
		switch {
		case (c.qop == "auth" || strings.EqualFold(c.qop, "auth")) && slices.Contains(s.qop, "auth"):
		case strings.EqualFold(c.qop, "auth-int") && slices.Contains(s.qop, "auth-int"):
			authInt = true
		default:
			return "", fmt.Errorf("%w: qop not offered", ErrMalformed)
		}
		var ok bool
		if nc, ok = parseNC(c.nc); !ok || c.cnonce == "" {
			return "", fmt.Errorf("%w: bad nc or cnonce", ErrMalformed)
		}
	}

	sc := s.getScratch()
	defer s.putScratch(sc)
	now := s.now()
	issued, id, err := s.checkNonce(sc, c.nonce, r.ClientAddr, now)
	if err != nil {
		return "", err
	}
	cred, err := s.creds.LookupHA1(ctx, Lookup{Username: c.username, Userhash: c.userhash, Realm: c.realm, Algorithm: alg})
	known := err == nil
	switch {
	case errors.Is(err, ErrUnknownUser):
		cred.HA1 = s.dummy(alg)
	case err != nil:
		return "", fmt.Errorf("digest: credential store: %w", err)
	case len(cred.HA1) != alg.hexLen():
		return "", fmt.Errorf("digest: credential store returned a malformed HA1 for %s", alg)
	}

	qop := ""
	if c.present&cpQOP != 0 {
		qop = c.qop
	}
	b, want := appendResponse(sc.buf[:0], alg, cred.HA1, r.Method, c.uri, r.Body, authInt, c.nonce, c.nc, c.cnonce, qop)
	got := len(b)
	b = append(b, c.response...)
	sc.buf = b
	match := constantTimeEqual(b[want:got], b[got:])
	if !match {
		// RFC 8760 asks for lowercase hex, but some UAs send uppercase.
		// Only this retry folds case: the fold branches on each digit,
		// which costs ~250 ns of mispredictions per call. It depends on
		// the client's own value, so the extra time reveals nothing.
		for i := got; i < len(b); i++ {
			if 'A' <= b[i] && b[i] <= 'F' {
				b[i] += 'a' - 'A'
			}
		}
		match = constantTimeEqual(b[want:got], b[got:])
	}
	if !match || !known {
		return "", ErrBadCredentials
	}
	if now.Sub(issued) > s.lifetime {
		return "", ErrStale
	}
	fresh, err := s.replay.Use(ctx, id, nc, issued.Add(s.lifetime))
	if err != nil {
		return "", fmt.Errorf("digest: replay cache: %w", err)
	}
	if !fresh {
		return "", ErrReplay
	}
	return cred.Username, nil
}

// appendResponse appends to b the scratch inputs and, from the returned
// offset on, the lowercase hex response the client should have sent:
//
//	HA2 = H(method ":" uri [":" H(body)])
//	response = H(HA1 ":" nonce [":" nc ":" cnonce ":" qop] ":" HA2)
//
// qop "" means the RFC 2069 form. Working in one buffer keeps Verify free
// of allocations.
func appendResponse(b []byte, alg Algorithm, ha1, method, uri string, body []byte, authInt bool, nonce, nc, cnonce, qop string) ([]byte, int) {
	b = append(b, method...)
	b = append(b, ':')
	b = append(b, uri...)
	if authInt {
		b = append(b, ':')
		b = alg.appendHexSum(b, body)
	}
	ha2 := len(b)
	b = alg.appendHexSum(b, b[:ha2])
	in := len(b)
	b = append(b, ha1...)
	b = append(b, ':')
	b = append(b, nonce...)
	b = append(b, ':')
	if qop != "" {
		b = append(b, nc...)
		b = append(b, ':')
		b = append(b, cnonce...)
		b = append(b, ':')
		b = append(b, qop...)
		b = append(b, ':')
	}
	b = append(b, b[ha2:in]...)
	want := len(b)
	return alg.appendHexSum(b, b[in:want]), want
}

// constantTimeEqual is subtle.ConstantTimeCompare eight bytes at a time:
// the time depends only on the lengths, which are public (the hex length
// of the algorithm). Byte by byte, the 64-digit compare cost ~20 ns.
func constantTimeEqual(x, y []byte) bool {
	if len(x) != len(y) {
		return false
	}
	var acc uint64
	i := 0
	for ; i+8 <= len(x); i += 8 {
		acc |= binary.LittleEndian.Uint64(x[i:]) ^ binary.LittleEndian.Uint64(y[i:])
	}
	for ; i < len(x); i++ {
		acc |= uint64(x[i] ^ y[i])
	}
	return subtle.ConstantTimeEq(int32(uint32(acc>>32)|uint32(acc)), 0) == 1
}

// parseNC parses an nc value: exactly 8 hex digits, not zero. It looks
// digits up in a table: nc changes on every request, so a branch per
// digit class mispredicts (it cost ~25 ns per Verify).
func parseNC(s string) (uint32, bool) {
	if len(s) != 8 {
		return 0, false
	}
	s = s[:8]
	var n uint32
	var bad byte
	for i := 0; i < 8; i++ {
		d := hexValues[s[i]]
		bad |= d
		n = n<<4 | uint32(d&0x0f)
	}
	return n, bad&0xf0 == 0 && n != 0
}

// hexValues maps a byte to its hex digit value, or 0xff. A constant
// string, so it is a read-only table and not package state.
const hexValues = "" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\xff\xff\xff\xff\xff\xff" +
	"\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// SelectCredentials returns the first of several Authorization or
// Proxy-Authorization values whose realm is realm, or "" if none is.
// SIP UAs send one value per realm on separate header lines.
func SelectCredentials(values []string, realm string) string {
	for _, v := range values {
		var c credentials
		if parseCredentials(v, &c) == nil && c.realm == realm {
			return v
		}
	}
	return ""
}
