// Package digest implements SIP and HTTP Digest authentication (RFC 7616,
// RFC 8760): challenges, replay-proof verification, and a client.
//
// For most uses, create a [Server] with a [Config] and a secret key, and
// wrap your handler with [Server.Require]; read the user with
// [UsernameFromContext]. SIP servers call [Server.Challenges] for the
// 401/407 header lines and [Server.Verify] with a [Request] built from
// the SIP message. Clients use [Client.Authorize].
//
// Credentials come from a [CredentialStore] that returns HA1 values, so
// passwords need not be stored; [MemoryStore] is a ready-made one.
// MD5, SHA-256 and SHA-512-256 are supported, each offered as its own
// challenge, most preferred first (default SHA-256, then MD5); -sess
// variants are not. qop=auth is the default, auth-int optional;
// userhash and username* are accepted.
//
// # Nonces
//
// Nonces are stateless: issue time, 12 random bytes and an HMAC-SHA256
// tag over them, the realm and, with Config.BindClientAddr, the client
// IP. Any instance holding the key verifies them without shared state.
// The first key passed to [NewServer] signs; later keys only verify, so
// keys rotate by prepending a new key and dropping the old one after
// Config.NonceLifetime. An expired nonce with a correct response yields
// [ErrStale] and challenges with stale=true, so clients retry without
// asking the user. Each nonce count may be used once per nonce (a
// sliding window tolerates reordering, see [ReplayWindow]); a bounded
// [ReplayCache] ([MemoryReplayCache] by default, or a shared one you
// implement) rejects reuse with [ErrReplay].
//
// # Security
//
// Verify checks the nonce tag before touching the credential store, the
// response before the nonce age (a stale answer is never a password
// oracle), and writes replay state only for correct responses. It
// refuses algorithms it did not offer (no downgrade), another realm or
// opaque, a uri that is not byte-for-byte the Request-URI, duplicate
// parameters, and nonces from the future. Responses are compared in
// constant time. An unknown user is verified against a dummy HA1 and
// gets the same [ErrBadCredentials], status and headers as a wrong
// password. Nothing secret (keys, HA1, responses) is logged.
//
// MD5 is offered by default only for legacy SIP phones; offering it next
// to SHA-256 lets an on-path attacker strip the stronger challenge (RFC
// 8760 §3). Set Config.Algorithms to SHA-256 alone where clients allow.
package digest
