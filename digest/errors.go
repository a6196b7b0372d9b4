package digest

import "errors"

// Sentinel errors returned by [Server.Verify] (wrapped with %w; test them
// with errors.Is). Every failure path is one of these, so callers can map
// them to status codes without looking at strings:
//
//   - ErrNoCredentials, ErrBadCredentials, ErrInvalidNonce, ErrWrongRealm,
//     ErrUnknownAlgorithm, ErrURIMismatch: 401/407 with fresh challenges
//     (SIP registrars may answer 403 after repeated ErrBadCredentials).
//   - ErrStale, ErrReplay: the digest was correct, so the client knows the
//     password; 401/407 with challenges built with stale=true.
//   - ErrMalformed: 400 Bad Request.
var (
	// ErrNoCredentials means the request carried no Authorization value.
	ErrNoCredentials = errors.New("digest: no credentials")
	// ErrMalformed means the Authorization value could not be parsed or
	// violates the syntax rules (duplicate or missing parameters, bad nc,
	// over-long values, wrong opaque, missing qop when qop was offered).
	ErrMalformed = errors.New("digest: malformed credentials")
	// ErrUnknownAlgorithm means the credentials use an algorithm the
	// server did not offer (this is what blocks downgrades to MD5).
	ErrUnknownAlgorithm = errors.New("digest: algorithm not offered")
	// ErrWrongRealm means the credentials name another realm.
	ErrWrongRealm = errors.New("digest: wrong realm")
	// ErrURIMismatch means the uri parameter differs from the Request-URI.
	ErrURIMismatch = errors.New("digest: uri does not match request")
	// ErrInvalidNonce means the nonce was not issued by this server (bad
	// tag, unknown key, wrong client address or issued in the future).
	// Answer with a fresh challenge, never with stale=true.
	ErrInvalidNonce = errors.New("digest: invalid nonce")
	// ErrBadCredentials means the user is unknown or the response is
	// wrong; the two cases are deliberately indistinguishable.
	ErrBadCredentials = errors.New("digest: bad credentials")
	// ErrStale means the response was correct but the nonce expired.
	ErrStale = errors.New("digest: stale nonce")
	// ErrReplay means the response was correct but its nonce count was
	// already used (or the nonce, sent without qop, was used before).
	ErrReplay = errors.New("digest: replayed nonce count")
	// ErrUnknownUser is returned by a [CredentialStore] for a user it does
	// not know. Verify turns it into ErrBadCredentials.
	ErrUnknownUser = errors.New("digest: unknown user")
	// ErrNoChallenge means [Client.Authorize] found no usable challenge.
	ErrNoChallenge = errors.New("digest: no usable challenge")
	// ErrConfig means [NewServer] was given an unusable configuration.
	ErrConfig = errors.New("digest: invalid configuration")
)
