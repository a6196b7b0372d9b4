package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultNonceLifetime is the nonce lifetime used when
// Config.NonceLifetime is zero (Kamailio's default).
const DefaultNonceLifetime = 5 * time.Minute

// MinKeySize is the minimum length of a nonce key passed to [NewServer].
const MinKeySize = 32

// Config configures a [Server]. Realm and Credentials are required; every
// other zero value is a safe default.
type Config struct {
	// Realm is the protection space, sent in challenges and required in
	// credentials. It must not be empty.
	Realm string
	// Algorithms lists the algorithms offered, most preferred first, one
	// challenge each (RFC 8760 §2.3). Credentials using any other
	// algorithm are refused, which blocks downgrades. If nil, SHA-256
	// then MD5. Offer only SHA-256 / SHA-512-256 when all clients can.
	// Some clients give up when any challenge names an algorithm they
	// lack instead of skipping it: baresip 1.0 (libre 1.x, as in Debian
	// 12) cannot register while SHA-256 is offered at all. Where such
	// clients must register, offer []Algorithm{MD5}.
	Algorithms []Algorithm
	// QOP lists the qop values offered: "auth" and/or "auth-int". If
	// nil, "auth". auth-int makes the caller supply Request.Body.
	QOP []string
	// AllowNoQOP accepts RFC 2069 style credentials without qop, nc and
	// cnonce. Such a nonce is then accepted only once. If false (the
	// default) credentials without qop are ErrMalformed.
	AllowNoQOP bool
	// Userhash adds userhash=true to challenges so clients hide the
	// user name (RFC 7616 §3.4.4). Hashed names are accepted either way.
	Userhash bool
	// NonceLifetime is how long a nonce is accepted. If zero,
	// DefaultNonceLifetime. Key rotation: keep an old key among the
	// verify-only keys for at least this long.
	NonceLifetime time.Duration
	// BindClientAddr binds nonces to the client IP address (not port);
	// then Request.ClientAddr must be set. Off by default because NAT
	// rebinding and mobile clients change address.
	BindClientAddr bool
	// Opaque is the opaque value sent in challenges; credentials must
	// echo it. If empty, a value derived from Realm is used.
	Opaque string
	// Credentials finds users' HA1. Required.
	Credentials CredentialStore
	// Replay tracks nonce counts. If nil, a [MemoryReplayCache] of
	// DefaultReplayCapacity, private to this Server.
	Replay ReplayCache
	// Now is the clock. If nil, time.Now.
	Now func() time.Time
	// Logger receives debug records of failed verifications (reason,
	// user name, client address; never responses, HA1 or keys). If nil,
	// nothing is logged.
	Logger *slog.Logger
}

// Server issues challenges and verifies Digest credentials. It is safe
// for concurrent use.
type Server struct {
	realm      string
	algs       []Algorithm
	qop        []string
	noQOP      bool
	userhash   bool
	lifetime   time.Duration
	bindAddr   bool
	opaque     string
	creds      CredentialStore
	replay     ReplayCache
	now        func() time.Time
	log        *slog.Logger
	keys       []nonceKey
	dummyHA1   [3]string // per algorithm, for unknown users
	pool       sync.Pool
	challenges string // "qop=..., ..." suffix shared by every challenge
}

// NewServer validates cfg and returns a Server. keys[0] signs new nonces;
// the others only verify, which is how keys are rotated. Each key must be
// at least MinKeySize bytes of secret random data; all instances that
// should accept each other's nonces need the same keys.
func NewServer(cfg Config, keys ...[]byte) (*Server, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no nonce key", ErrConfig)
	}
	if cfg.Realm == "" || strings.ContainsAny(cfg.Realm, "\"\\\r\n") {
		return nil, fmt.Errorf("%w: realm empty or not quotable", ErrConfig)
	}
	if cfg.Credentials == nil {
		return nil, fmt.Errorf("%w: no credential store", ErrConfig)
	}
	if cfg.NonceLifetime < 0 {
		return nil, fmt.Errorf("%w: negative nonce lifetime", ErrConfig)
	}
	s := &Server{
		realm: cfg.Realm, noQOP: cfg.AllowNoQOP, userhash: cfg.Userhash,
		lifetime: cfg.NonceLifetime, bindAddr: cfg.BindClientAddr, opaque: cfg.Opaque,
		creds: cfg.Credentials, replay: cfg.Replay, now: cfg.Now, log: cfg.Logger,
	}
	for _, k := range keys {
		if len(k) < MinKeySize {
			return nil, fmt.Errorf("%w: nonce key shorter than %d bytes", ErrConfig, MinKeySize)
		}
		s.keys = append(s.keys, newNonceKey(k))
	}
	s.algs = slices.Clone(cfg.Algorithms)
	if len(s.algs) == 0 {
		s.algs = []Algorithm{SHA256, MD5}
	}
	for i, a := range s.algs {
		canon, ok := parseAlgorithm(string(a))
		if !ok || a == "" || slices.Contains(s.algs[:i], canon) {
			return nil, fmt.Errorf("%w: algorithm %q unsupported or repeated", ErrConfig, a)
		}
		s.algs[i] = canon
	}
	s.qop = slices.Clone(cfg.QOP)
	if len(s.qop) == 0 {
		s.qop = []string{"auth"}
	}
	for _, q := range s.qop {
		if q != "auth" && q != "auth-int" {
			return nil, fmt.Errorf("%w: qop %q", ErrConfig, q)
		}
	}
	if s.lifetime == 0 {
		s.lifetime = DefaultNonceLifetime
	}
	if s.opaque == "" {
		sum := sha256.Sum256([]byte("webdial-digest-opaque:" + s.realm))
		s.opaque = hex.EncodeToString(sum[:12])
	} else if strings.ContainsAny(s.opaque, "\"\\\r\n") {
		return nil, fmt.Errorf("%w: opaque not quotable", ErrConfig)
	}
	if s.replay == nil {
		s.replay = NewMemoryReplayCache(0)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	// The dummy HA1 is unguessable, so no password matches it.
	for i, a := range []Algorithm{MD5, SHA256, SHA512_256} {
		s.dummyHA1[i] = a.hexHash(string(s.keys[0].key), "dummy")
	}
	s.challenges = `, opaque="` + s.opaque + `", qop="` + strings.Join(s.qop, ",") + `"`
	return s, nil
}

// Realm returns the configured realm.
func (s *Server) Realm() string { return s.realm }

// Challenges returns one challenge value per offered algorithm, most
// preferred first, for WWW-Authenticate (401) or Proxy-Authenticate
// (407) header lines. In SIP each value goes on its own header line
// (RFC 3261 §7.3.1). Set stale after ErrStale or ErrReplay. clientAddr is
// used only with Config.BindClientAddr. All values share one nonce.
func (s *Server) Challenges(stale bool, clientAddr netip.Addr) []string {
	nonce := s.newNonce(clientAddr)
	out := make([]string, len(s.algs))
	for i, a := range s.algs {
		v := `Digest realm="` + s.realm + `", nonce="` + nonce + `"` + s.challenges + ", algorithm=" + string(a)
		if stale {
			v += ", stale=true"
		}
		if s.userhash {
			v += ", userhash=true"
		}
		out[i] = v
	}
	return out
}

func (s *Server) dummy(a Algorithm) string {
	switch a {
	case MD5:
		return s.dummyHA1[0]
	case SHA256:
		return s.dummyHA1[1]
	}
	return s.dummyHA1[2]
}
