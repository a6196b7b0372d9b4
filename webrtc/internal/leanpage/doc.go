// Package leanpage is a light page-side WebRTC client for load tests,
// made of pion's lower-level packages (stun, dtls, srtp, sctp,
// datachannel, sdp) instead of a pion PeerConnection. It is the mirror
// image of litemedia: one UDP socket per page, an SDP offer like a
// browser's (G.711 audio, telephone-event and the "webdial" data channel,
// a=setup:actpass), POSTed WHIP-style; then a full, controlling ICE agent
// against one of the answer's host candidates (it also answers the
// gateway's own checks, so it works with both the pion and the ICE-lite
// engine), DTLS in whichever role the answer's a=setup leaves it, checked
// against the answer's fingerprint, SRTP keyed from the DTLS exporter and
// the data channel over pion/sctp.
//
// Media has no goroutine hand-off: one reader goroutine per page reads the
// socket, answers STUN inline and decrypts SRTP inline into OnRTP, and
// WriteAudio encrypts into a reused buffer and writes with one system
// call, so a load generator can drive many pages from one sender
// goroutine. Two options for a load generator: Options.Poller (Linux)
// reads every page's socket from one epoll goroutine (at 500 pages it
// measured no cheaper: the kernel's loopback work in sendto and recvfrom
// dominates); Options.Bank puts every page on one socket, each on a
// loopback IP of its own, read with recvmmsg and written with sendmmsg
// (about 15 % less driver CPU at 500 pages). A consent-freshness check
// goes out every ~5 s, as a browser does. Only what a load test needs is
// there: loopback or host candidates, no trickle, no renegotiation, RTCP
// is dropped. It is not part of the public API.
package leanpage
