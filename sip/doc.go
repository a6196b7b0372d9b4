// Package sip is webdial's SIP edge, built on github.com/emiago/sipgo: a
// registrar for in-domain phones, a policy-checked back-to-back user agent
// (B2BUA) that admits anonymous and unauthenticated callers only where
// [anon.Policy] allows, and a [Dialer] that places outbound calls with
// credentials only the server holds.
//
// For most uses, fill in a [Server] (Domain, a [digest.Server] for Auth, an
// [anon.Policy], a [Dialer]) and call [Server.Run] with a context; cancel
// the context to stop it. The WebRTC gateway uses a [Dialer] directly.
//
// # Callers
//
// Every INVITE is classified from the server's own state, never from what
// the From header claims alone (see [anon.Class]):
//
//   - a From that [anon.IsAnonymous] accepts (anonymous.<id>@anonymous.invalid)
//     is Anonymous and is never challenged: it gets the narrowest rights;
//   - a From in Domain is challenged with 407 and becomes Authenticated only
//     with valid digest credentials for that same user;
//   - any other From is Unauthenticated if [Server.AllowUnauthenticated] is
//     set, and refused with 403 otherwise.
//
// The Request-URI is then checked with [anon.Policy.Check]; a denied
// destination gets 403 with a constant reason phrase and never reaches the
// [Router], the [Dialer] or a call record. Only then do the call caps of
// [Limits] apply, and the Router picks the target ([LocationRouter] by
// default: registered users of Domain, reached at the address their
// REGISTER came from, whatever host their contact names).
//
// # B2BUA
//
// The outbound leg is a new call placed with the [Dialer]: its own Call-ID,
// tags and headers, so identity headers sent by the caller
// (P-Asserted-Identity, Remote-Party-ID, ...) never reach the callee; only
// the SDP body is passed through, and media flows directly between the
// endpoints. Provisional responses (180, 183 with SDP) are relayed, CANCEL
// from the caller cancels the outbound INVITE, a BYE on either leg ends the
// other, and [Limits] RingTimeout and MaxDuration end calls that ring or
// last too long (BYE on both legs). re-INVITEs are refused with 488 Not
// Acceptable Here: the B2BUA does not renegotiate media across legs, so
// hold and codec changes are not supported. The outbound INVITE carries
// the inbound Max-Forwards minus one; an INVITE with 0 or 1 gets 483.
// Every call produces [CallRecord]s (start, answer, end) for
// [Server.OnRecord] and the logger; they never contain credentials or SDP.
//
// # Registrar
//
// REGISTER is challenged with 401 (one WWW-Authenticate line per digest
// algorithm) and binds contacts with expiry in a [LocationStore]
// ([MemoryLocations] by default); Expires: 0 and "Contact: *" unregister,
// and [RegistrarConfig] caps bindings per address of record. A user may bind
// only its own address of record.
//
// # Performance
//
// The server owns its UDP socket: reader goroutines take datagrams in
// batches (recvmmsg) and answer REGISTER, OPTIONS, rejected INVITEs and
// stray requests statelessly, replies batched too (sendmmsg). One reader
// waits on the socket; more join only under sustained load, because
// handing the socket between goroutines costs thread wake-ups. Plain
// REGISTERs take a fast path that reads only the headers the registrar
// needs and writes the response itself; anything it does not fully
// understand goes to sipgo's parser, and a differential test and fuzz
// target hold the two paths to the same answers. The digest
// nonce is stateless (HMAC), so no server transaction is created or kept
// (sipgo would keep each one 32 s). Only admitted INVITEs and the messages
// of their calls reach sipgo's transaction layer, through an in-memory
// packet conn, so sipgo's per-source-address map (sipgo issue #150) does
// not grow with registrations or rejected calls from many NATed ports. A
// REGISTER retransmitted within 64*T1 (its 200 was lost) is answered from
// the stored binding instead of being refused as a digest replay. See
// sip/bench/registrar-vs-kamailio.sh and BENCHMARKS.md at the repository root.
//
// # Abuse limits
//
// Every message is first checked against a per-source-IP token bucket and
// an in-process ban list (repeated digest failures ban the source for
// [Limits] BanDuration; banned sources are dropped silently). Both maps are
// bounded. Malformed messages are dropped or answered 400 (505 for another
// SIP version), unknown methods 501, known but unsupported ones 405; a
// panic while handling one message is recovered and logged without the
// message.
package sip
