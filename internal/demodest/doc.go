// Package demodest is the demo destination the examples call: a SIP user
// agent on loopback that answers every INVITE for its user with an SDP
// answer (PCMU or PCMA plus telephone-event), plays a short chime generated
// in Go mixed with an echo of what it hears, records the RFC 4733 DTMF
// digits it receives, counts RTP packets both ways, answers BYE, and sends
// BYE to every call it still has when it is closed.
//
// It exists so that `go run ./examples/clicktocall` makes a real call with
// real audio on a machine with no PBX, and so that tests can check what
// reached the far end. It is not a PBX: it authenticates nobody and should
// only listen on a loopback address.
package demodest
