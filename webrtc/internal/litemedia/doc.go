// Package litemedia is a server-side WebRTC media transport for one audio
// call, assembled from pion's lower-level packages (stun, dtls, srtp, sdp)
// instead of a pion PeerConnection.
//
// The gateway is an ICE-lite agent (RFC 8445 §2.5): it only answers the
// page's authenticated STUN Binding requests on one UDP socket per call and
// latches the page's address from them. One reader goroutine per call
// demultiplexes by first byte (RFC 7983): STUN is answered inline, DTLS
// records are handed to a pion/dtls server (handshake, rare), and SRTP is
// decrypted inline and handed to a callback. Outbound RTP is encrypted into
// a reused buffer and written with one system call. Compared with pion's
// PeerConnection this removes three goroutine hand-offs and their buffers
// from every inbound packet; the point of the package is to measure whether
// that lowers the gateway's CPU per relayed packet.
//
// Opt-in (Config.Mux): one Mux socket serves every call, read by one
// goroutine with recvmmsg batches. STUN is routed by the USERNAME's local
// ufrag and authenticated by that call; DTLS and SRTP are routed by the
// source address a call latched; the answer's candidate is the Mux's
// address. It halves the receive system calls on the page side of a relay.
//
// The data channel runs over the same DTLS connection (pion/sctp and
// pion/datachannel, as pion/webrtc does). webrtc.Gateway uses it when
// Config.ICELite is set. Its limits: one host candidate, no trickle, no
// ICE restart or renegotiation, the page must be the DTLS client, RTCP is
// dropped, and consent freshness is recorded (LastConsent) but enforced by
// the owner (the gateway ends a silent call after PeerTimeout).
package litemedia
