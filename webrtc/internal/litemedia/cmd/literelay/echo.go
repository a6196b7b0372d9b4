//go:build unix

package main

import (
	"errors"
	"net"

	"golang.org/x/net/ipv4"
)

// echoServer returns every datagram on one port to its source, reading and
// writing batches (recvmmsg/sendmmsg) so the echo costs the driver little.
type echoServer struct {
	conn *net.UDPConn
	done chan struct{}
}

func listenEcho() (*echoServer, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	// 500 calls × 50 packets/s arrive in bursts; the default buffer
	// (~270 packets) loses some.
	_ = conn.SetReadBuffer(4 << 20)
	e := &echoServer{conn: conn, done: make(chan struct{})}
	go e.run()
	return e, nil
}

func (e *echoServer) addr() string { return e.conn.LocalAddr().String() }

func (e *echoServer) close() {
	_ = e.conn.Close()
	<-e.done
}

func (e *echoServer) run() {
	defer close(e.done)
	const batch = 64
	pc := ipv4.NewPacketConn(e.conn)
	ms := make([]ipv4.Message, batch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	out := make([]ipv4.Message, 0, batch)
	for {
		n, err := pc.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		out = out[:0]
		for _, m := range ms[:n] {
			out = append(out, ipv4.Message{Buffers: [][]byte{m.Buffers[0][:m.N]}, Addr: m.Addr})
		}
		for len(out) > 0 {
			w, err := pc.WriteBatch(out, 0)
			if err != nil {
				break
			}
			out = out[w:]
		}
	}
}
