// Package rawudp holds the pieces of batched UDP I/O on Linux that the
// sip registrar's socket and litemedia's shared ICE socket both use:
// recvmmsg issued as a raw system call from a RawConn callback, and the
// decoding of the kernel's source addresses. Raw (rather than
// syscall.Syscall) keeps the runtime's sysmon thread asleep; see
// sip/udp_batch_linux.go for why that matters. Other platforms use
// golang.org/x/net's batch API instead and never import this package.
package rawudp
