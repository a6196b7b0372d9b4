package digest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	icholy "github.com/icholy/digest"
)

// maxClientNonces bounds the per-nonce state a Client keeps.
const maxClientNonces = 64

// Client answers Digest challenges for a SIP or HTTP client. It reuses
// github.com/icholy/digest for the hash math and credential formatting,
// and adds what that package lacks: tolerant parsing of several
// challenges per value, choosing among several challenges, a nonce count
// per nonce, and a fixed cnonce per nonce. The zero value plus Username
// and Password (or HA1) is ready; it is safe for concurrent use.
type Client struct {
	Username string
	// Password is the user's password. Ignored for an algorithm that
	// has an entry in HA1.
	Password string
	// HA1 optionally holds precomputed H(user ":" realm ":" password)
	// values per algorithm, so the client need not keep the password.
	HA1 map[Algorithm]string
	// Realm, if set, is the only realm the client answers; challenges
	// from other realms are ignored (so a third party cannot make the
	// client compute a digest it can attack offline).
	Realm string
	// Algorithms lists acceptable algorithms. If nil: SHA-512-256,
	// SHA-256, MD5. Leave MD5 out to refuse it.
	Algorithms []Algorithm

	mu     sync.Mutex
	nonces map[string]*nonceState

	// cnonce makes tests deterministic; nil means 16 random bytes.
	cnonce func() string
}

type nonceState struct {
	nc     int
	cnonce string
}

// strength orders algorithms for choosing among challenges.
func strength(a Algorithm) int {
	switch a {
	case SHA512_256:
		return 3
	case SHA256:
		return 2
	case MD5:
		return 1
	}
	return 0
}

// Authorize answers the best challenge among challenges (header values of
// WWW-Authenticate for a 401 or Proxy-Authenticate for a 407; each may
// hold several challenges) and returns the value for the matching
// Authorization or Proxy-Authorization header. uri must be exactly the
// Request-URI (SIP) or request-target (HTTP) being sent, parameters
// included; body is hashed only if the challenge demands auth-int.
//
// Choice: the strongest acceptable algorithm; among equals, the topmost.
// Against an honest server this is RFC 8760's "topmost supported" (it
// lists the most preferred first); against an on-path attacker who
// reorders challenges it still refuses to downgrade. A stale=true
// challenge is answered like any other (fresh nonce, nc restarts at 1):
// the caller should treat a second 401/407 without stale=true as a wrong
// password rather than retry forever.
func (c *Client) Authorize(challenges []string, method, uri string, body []byte) (string, error) {
	allowed := c.Algorithms
	if len(allowed) == 0 {
		allowed = []Algorithm{SHA512_256, SHA256, MD5}
	}
	var best *challenge
	var bestAlg Algorithm
	for _, v := range challenges {
		for _, ch := range parseChallenges(v) {
			alg, ok := parseAlgorithm(ch.algorithm)
			if !ok || !slices.Contains(allowed, alg) || (c.Realm != "" && ch.realm != c.Realm) {
				continue
			}
			if len(ch.qop) > 0 && !slices.Contains(ch.qop, "auth") && !slices.Contains(ch.qop, "auth-int") {
				continue
			}
			if best == nil || strength(alg) > strength(bestAlg) {
				ch := ch
				best, bestAlg = &ch, alg
			}
		}
	}
	if best == nil {
		return "", ErrNoChallenge
	}
	ha1 := c.HA1[bestAlg]
	if ha1 == "" && c.Password == "" {
		return "", fmt.Errorf("%w: no password or HA1 for %s", ErrNoChallenge, bestAlg)
	}
	st := c.next(best.nonce, len(best.qop) > 0)
	ichal := &icholy.Challenge{
		Realm:     best.realm,
		Nonce:     best.nonce,
		Opaque:    best.opaque,
		Algorithm: best.algorithm,
		QOP:       best.qop, // trimmed and lower-cased, unlike icholy's parser
		Userhash:  best.userhash,
	}
	cred, err := icholy.Digest(ichal, icholy.Options{
		Method:   method,
		URI:      uri,
		GetBody:  func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		Count:    st.nc,
		Username: c.Username,
		Password: c.Password,
		A1:       ha1,
		Cnonce:   st.cnonce,
	})
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	if strings.ContainsAny(cred.Username+cred.URI, "\"\\\r\n") {
		// icholy quotes with strconv.Quote, whose escapes are not HTTP
		// quoted-string escapes; refuse rather than send garbage.
		return "", fmt.Errorf("digest: username or uri not representable in a quoted-string")
	}
	return cred.String(), nil
}

// next returns the nonce count and cnonce to use with nonce.
func (c *Client) next(nonce string, qop bool) nonceState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nonces == nil || len(c.nonces) >= maxClientNonces {
		c.nonces = make(map[string]*nonceState)
	}
	st := c.nonces[nonce]
	if st == nil {
		st = &nonceState{}
		if qop {
			if c.cnonce != nil {
				st.cnonce = c.cnonce()
			} else {
				var b [16]byte
				rand.Read(b[:])
				st.cnonce = hex.EncodeToString(b[:])
			}
		}
		c.nonces[nonce] = st
	}
	st.nc++
	return *st
}
