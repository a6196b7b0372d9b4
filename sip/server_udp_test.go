package sip

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/webdial/webdial/digest"
)

// TestUDPBatcherReadsAndReplies: a non-waiting read of an empty socket
// returns at once; datagrams come with their source, and replies go back
// to it, over IPv4 and IPv6.
func TestUDPBatcherReadsAndReplies(t *testing.T) {
	for _, network := range []string{"127.0.0.1:0", "[::1]:0"} {
		pc, err := net.ListenPacket("udp", network)
		if err != nil {
			t.Logf("%s: %v (skipped)", network, err)
			continue
		}
		defer pc.Close()
		b, err := newUDPBatcher(pc.(*net.UDPConn))
		if err != nil {
			t.Fatal(err)
		}
		if n, _, err := b.read(false); n != 0 || err != nil {
			t.Fatalf("%s: non-waiting read of an empty socket: %d, %v", network, n, err)
		}
		c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := range 3 {
			if _, err := fmt.Fprintf(c, "datagram %d", i); err != nil {
				t.Fatal(err)
			}
		}
		got := 0
		for got < 3 {
			n, _, err := b.read(true)
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				data, src, truncated := b.datagram(i)
				if truncated || src != addrPortOf(c.LocalAddr()) || string(data) != fmt.Sprintf("datagram %d", got) {
					t.Fatalf("%s: datagram %q from %v (truncated %v), want %q from %v", network, data, src, truncated, fmt.Sprintf("datagram %d", got), c.LocalAddr())
				}
				b.reply(i, []byte(strings.ToUpper(string(data))))
				got++
			}
			b.flush()
		}
		buf := make([]byte, 100)
		for i := range 3 {
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != fmt.Sprintf("DATAGRAM %d", i) {
				t.Fatalf("%s: reply %d: %q, %v", network, i, buf[:n], err)
			}
		}
	}
}

// TestUDPMuxHelpers runs a waiting reader and two helpers that are called
// in all the time, answers a stream of REGISTERs from several clients
// (each must get its own 401), and checks that every reader returns once
// the socket closes.
func TestUDPMuxHelpers(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	store := digest.NewMemoryStore(testDomain)
	auth, err := digest.NewServer(digest.Config{Realm: testDomain, Credentials: store, Logger: slog.New(slog.DiscardHandler)},
		[]byte("0123456789abcdef0123456789abcdef-mux-key"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Domain: testDomain, Auth: auth, Limits: Limits{PerSourceRate: -1}, Logger: slog.New(slog.DiscardHandler)}
	st, err := s.newState(pc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.ua.Close()
	m := newUDPMux(st, pc.(*net.UDPConn))
	done := make(chan error, 3)
	for i := range 3 {
		go func() { done <- m.read(i == 0) }()
	}
	stopPoke := make(chan struct{})
	go func() { // keep the helpers busy
		for {
			select {
			case <-stopPoke:
				return
			case m.backlog <- struct{}{}:
			}
		}
	}()

	const clients, perClient, window = 4, 300, 16
	errc := make(chan error, clients)
	for k := range clients {
		go func() {
			c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
			if err != nil {
				errc <- err
				return
			}
			defer c.Close()
			buf := make([]byte, 4096)
			for start := 0; start < perClient; start += window {
				want := map[string]bool{}
				for i := start; i < start+window; i++ {
					msg := regMsg("user0001", i+1, "", "Call-ID: ", fmt.Sprintf("Call-ID: c%d-%d.", k, i))
					want[fmt.Sprintf("c%d-%d.", k, i)] = true
					if _, err := c.Write(msg); err != nil {
						errc <- err
						return
					}
				}
				for len(want) > 0 {
					_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
					n, err := c.Read(buf)
					if err != nil {
						errc <- fmt.Errorf("client %d: %d answers missing: %w", k, len(want), err)
						return
					}
					res := buf[:n]
					if !bytes.HasPrefix(res, []byte("SIP/2.0 401 ")) {
						errc <- fmt.Errorf("client %d: got %q", k, res)
						return
					}
					_, after, _ := bytes.Cut(res, []byte("Call-ID: "))
					id, _, _ := bytes.Cut(after, []byte("@"))
					id = id[:bytes.LastIndexByte(id, '.')+1]
					if !want[string(id)] {
						errc <- fmt.Errorf("client %d: unexpected or repeated answer for %q", k, id)
						return
					}
					delete(want, string(id))
				}
			}
			errc <- nil
		}()
	}
	for range clients {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	close(stopPoke)
	pc.Close()
	m.pipe.Close()
	deadline := time.After(10 * time.Second)
	for range 3 {
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("reader: %v", err)
			}
		case <-deadline:
			t.Fatal("a reader did not return after the socket closed")
		}
	}
}
