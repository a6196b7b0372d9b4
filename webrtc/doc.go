// Package webrtc is webdial's browser-to-SIP gateway: it answers a web
// page's WebRTC audio call with pion and bridges it, without transcoding, to
// a SIP call whose destination and credentials the server alone chooses.
//
// For most uses, create a [Gateway] with [New] and mount it on an HTTP mux
// next to a token.Handler that issues call tokens:
//
//	gw, err := webrtc.New(webrtc.Config{Dialer: dialer, Sealer: sealer,
//		Origins: origins, Policy: &anon.Policy{Domains: []string{"example.com"}}})
//	mux.Handle("/call", gw)
//	mux.Handle("/call/", gw)
//
// # Wire protocol
//
// The HTTP side follows WHIP (RFC 9725): the page POSTs its complete SDP
// offer (application/sdp, no trickle) with its call token as
// "Authorization: Bearer"; the answer comes back in a 201 with a Location
// that the page DELETEs to hang up. ICE servers (TURN with time-limited
// REST credentials when Config.TURNSecret is set) are offered in Link
// headers. Errors are bare statuses: 400 bad offer, 401 token, 403 origin,
// hook or destination policy, 404 unknown call, 405, 415 not SDP, 429 a
// per-origin or per-client limit, 503 capacity, shutdown or hook backend
// down.
//
// Call progress and control travel on a data channel the page opens with
// the label [ControlLabel] before making its offer, as JSON
// [ControlMessage]s: the gateway sends states (trying, ringing, early,
// answered, ended with a reason); the page sends {"type":"dtmf"} and
// {"type":"hangup"}.
//
// # Who may call what
//
// Every decision is the server's. In order: the page's Origin must be in
// Config.Origins exactly (never a substring match) and pass the optional
// [ConnectHook]; the call token must open for that origin, unexpired and
// unused; the concurrency limits must allow one more call; the optional
// [CallHook] returns the callee, the SIP From and credentials, overwriting
// anything the page asked for ([HTTPHooks] asks an external JSON backend
// the way reference 002's REST hooks do); the final destination must pass
// Config.Policy (anon.Policy) for Config.Class. Only then is an INVITE sent,
// From the visitor's anonymous identity unless the hook chose otherwise.
//
// # Media
//
// Only PCMU or PCMA and telephone-event are negotiated, with the page and
// with the SIP side, and the SIP side is offered exactly the codec the page
// sends, so RTP is forwarded as is. The relay runs inline, one goroutine and
// one reused buffer per direction, with no channel between legs and no pion
// interceptors (NACK and RTCP reports cost CPU and do nothing for G.711).
// Headers are rewritten for the other leg: SSRC, a continuous sequence
// (gateway-generated DTMF shares it), payload types, timestamps kept
// continuous across SIP-side source changes (early media, then answer).
// The SIP side's RTP is latched symmetrically: the first source with the
// SDP's IP address (any port; any address with Config.LatchAnyAddress) to
// send after the SDP is known is where RTP goes and the only source
// accepted.
// The SIP side's RTCP port is bound and its packets absorbed; pion's SRTCP
// from the page is dropped unread. Early media (183 with SDP) is relayed at
// once. DTMF is RFC 4733 both ways: digits from the control channel become
// telephone-event packets on the SIP leg, and events the page sends on its
// track (RTCDTMFSender) are forwarded with the SIP side's payload type.
//
// # Media engines
//
// By default each call's page side is a pion PeerConnection (full ICE with
// every local host candidate, ICEHostIPs for a 1:1 NAT). With
// Config.ICELite it is webdial's own ICE-lite, DTLS-SRTP transport
// instead: one UDP socket and one reader goroutine per call, SRTP
// decrypted and relayed to SIP inline on that reader, and a data channel
// for the control messages on the same DTLS connection. It spends less
// CPU per relayed packet, at the price of ICE-lite's limits: the gateway
// never probes, so pages must reach its one advertised address (a local
// address, no NAT mapping) and are considered gone after PeerTimeout
// without a consent check or RTP from them. Config.ICELiteShared puts
// every call on one socket and port, read in batches by one goroutine.
// Config.RTPShared does the same on the SIP side: one RTP socket for
// every call, read in batches and demultiplexed by the SIP SDP's media
// address (no latching there); with ICELiteShared too, the packets of one
// batch leave towards the other leg in one sendmmsg.
//
// # Lifetimes
//
// ICE failure, a page that never connects or vanishes, hangs up the SIP
// leg within Limits.PeerTimeout; a BYE from the SIP side tells the page
// "ended" and closes its peer connection; Limits bound ringing and total
// duration. [Gateway.Close] ends every call and waits until their sockets
// and goroutines are gone.
package webrtc
