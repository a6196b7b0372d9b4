// Package token gives a web page short-lived proof that it may place one
// call, and never a SIP password: sealed call tokens, the endpoint that
// issues them, an exact Origin allow-list, and time-limited TURN
// credentials. Kandy's legacy anonymous-call tokens are here too, for
// compatibility only.
//
// For most uses, create a [Sealer] with [NewSealer], serve a [Handler] to
// the page, and call [Sealer.Open] with the page's origin when the token
// comes back with the call. Open accepts each token once.
//
// # Call tokens
//
// A call token is [Claims] (subject, destination, audience origin, issue,
// not-before and expiry times, a random 128-bit ID) sealed with
// XChaCha20-Poly1305 under a 32-byte key, versioned, tagged with a key ID,
// and encoded as unpadded base64url. Anything that does not authenticate is
// [ErrInvalidToken], whatever was wrong with it. Authentic tokens can still
// fail as [ErrExpired], [ErrNotYetValid], [ErrWrongAudience], [ErrLifetime]
// or [ErrReplayed].
//
// # Key management
//
// SealerConfig.Keys is a ring: Keys[0] seals, every key opens. Rotate by
// prepending a new key and dropping the old one after MaxLifetime plus Skew.
// Keys come from a CSPRNG and are never logged.
//
// # Origins
//
// [Origins] compares scheme, host and port exactly (RFC 6454), so
// "https://example.com.evil.net" never passes for "https://example.com".
// Other packages (webrtc/) use it for their own Origin checks.
//
// # TURN
//
// [TURNCredentials] makes coturn use-auth-secret credentials; the Handler
// adds them to its response when Handler.TURNSecret is set.
//
// # Kandy compatibility
//
// [KandyLegacy] makes and checks Kandy's AES-128-ECB tokens byte for byte.
// That format has no integrity: ECB blocks of two tokens can be spliced into
// a third that verifies. Use it only to talk to an existing Kandy realm.
//
// This package imports only the standard library and golang.org/x/crypto.
// It cannot import webdial's anon package; webrtc/ and the examples wire
// anon.NewIdentity into Handler.NewSubject.
package token
