//go:build linux && (amd64 || arm64)

package rawudp

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"
)

// TestSenderBatch sends more datagrams than one batch holds through a
// Sender, to an IPv4 receiver, from an IPv4 socket and from a dual-stack
// (AF_INET6) one, and reads them back with a Batch: every datagram
// arrives once, in order, with its source.
func TestSenderBatch(t *testing.T) {
	for _, local := range []string{"127.0.0.1:0", "[::]:0"} {
		t.Run(local, func(t *testing.T) {
			rx, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.1:0")))
			if err != nil {
				t.Fatal(err)
			}
			defer rx.Close()
			tx, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(local)))
			if err != nil {
				t.Skip(err) // no IPv6
			}
			defer tx.Close()
			s, err := NewSender(tx, 4, 64)
			if err != nil {
				t.Fatal(err)
			}
			to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
			if s.Add(make([]byte, 65), to) {
				t.Fatal("over the mtu queued")
			}
			const n = 10 // more than the 4 a batch holds: Add flushes
			for i := range n {
				if !s.Add([]byte(fmt.Sprintf("dgram %d", i)), to) {
					t.Fatalf("datagram %d not queued", i)
				}
			}
			if err := s.Flush(); err != nil || s.Len() != 0 {
				t.Fatalf("flush: %v, %d left", err, s.Len())
			}
			b, err := NewBatch(rx, 3, 64)
			if err != nil {
				t.Fatal(err)
			}
			_ = rx.SetReadDeadline(time.Now().Add(10 * time.Second))
			txPort := tx.LocalAddr().(*net.UDPAddr).Port
			for got := 0; got < n; {
				k, err := b.Read()
				if err != nil {
					t.Fatal(err)
				}
				for i := range k {
					pkt, from, ok := b.Datagram(i)
					if !ok || from.Port() != uint16(txPort) || !from.Addr().Is4() {
						t.Fatalf("datagram from %v (ok %v), want port %d over IPv4", from, ok, txPort)
					}
					if want := fmt.Sprintf("dgram %d", got); !bytes.Equal(pkt, []byte(want)) {
						t.Fatalf("got %q, want %q", pkt, want)
					}
					got++
				}
			}
		})
	}
}

func TestPutSockaddr(t *testing.T) {
	for _, c := range []struct {
		ap     string
		family int
		ok     bool
	}{
		{"127.0.0.1:5004", syscall.AF_INET, true},
		{"127.0.0.1:5004", syscall.AF_INET6, true}, // v4-mapped on AF_INET6
		{"[::1]:5004", syscall.AF_INET6, true},
		{"[::1]:5004", syscall.AF_INET, false},
	} {
		var raw syscall.RawSockaddrInet6
		n := PutSockaddr(&raw, netip.MustParseAddrPort(c.ap), c.family)
		if (n != 0) != c.ok {
			t.Fatalf("%s on family %d: length %d", c.ap, c.family, n)
		}
		if n != 0 {
			if got := AddrPort(&raw, n); got != netip.MustParseAddrPort(c.ap) {
				t.Fatalf("%s on family %d decodes as %v", c.ap, c.family, got)
			}
		}
	}
}
