// Package rawudp holds the pieces of batched UDP I/O on Linux that the
// sip registrar's socket, litemedia's shared ICE socket and the webrtc
// gateway's shared SIP-side socket use: recvmmsg and sendmmsg issued as
// raw system calls from a RawConn callback, and the decoding of the
// kernel's source addresses. Raw (rather than syscall.Syscall) keeps the
// runtime's sysmon thread asleep; see sip/udp_batch_linux.go for why that
// matters. Elsewhere only Batch exists, on golang.org/x/net's batch API.
package rawudp
