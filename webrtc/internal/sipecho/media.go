package sipecho

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/ipv4"
)

// Hangup sends BYE for the call.
func (s *Server) Hangup(c *Call) error {
	contact := c.invite.one("contact")
	uri := strings.Trim(contact, "<>")
	if i := strings.IndexByte(contact, '<'); i >= 0 {
		uri = contact[i+1 : strings.IndexByte(contact, '>')]
	}
	to := c.invite.one("from")
	from := c.invite.one("to") + ";tag=" + c.toTag
	var b strings.Builder
	fmt.Fprintf(&b, "BYE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%s;rport\r\n", uri, s.Addr(), randHex())
	fmt.Fprintf(&b, "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", from, to, c.ID)
	_, err := s.conn.WriteToUDPAddrPort([]byte(b.String()), c.from)
	c.stop()
	return err
}

func (s *Server) echo(c *Call, te int) {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, from, err := c.rtp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		if n < 12 {
			continue
		}
		if int(buf[1]&0x7f) == te && n >= 16 {
			c.mu.Lock()
			c.events = append(c.events, Event{Code: buf[12], End: buf[13]&0x80 != 0,
				Duration: binary.BigEndian.Uint16(buf[14:]), TS: binary.BigEndian.Uint32(buf[4:])})
			c.mu.Unlock()
			continue
		}
		if s.opts.Observe != nil {
			s.opts.Observe(buf[:n])
		}
		if c.first == nil {
			c.mu.Lock()
			c.first = append([]byte(nil), buf[12:n]...)
			c.mu.Unlock()
		}
		if _, err := c.rtp.WriteToUDPAddrPort(buf[:n], from); err == nil {
			c.Echoed.Add(1)
		}
	}
}

// echoShared echoes every packet on the SharedMedia port to its source,
// reading and writing up to a batch of packets per system call.
func (s *Server) echoShared() {
	defer s.wg.Done()
	const batch = 64
	pc := ipv4.NewPacketConn(s.shared)
	ms := make([]ipv4.Message, batch)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, 1500)}
	}
	out := make([]ipv4.Message, 0, batch)
	for {
		for i := range ms {
			ms[i].Buffers[0] = ms[i].Buffers[0][:cap(ms[i].Buffers[0])]
		}
		n, err := pc.ReadBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		out = out[:0]
		for _, m := range ms[:n] {
			if m.N < 12 {
				continue
			}
			out = append(out, ipv4.Message{Buffers: [][]byte{m.Buffers[0][:m.N]}, Addr: m.Addr})
		}
		for len(out) > 0 {
			w, err := pc.WriteBatch(out, 0)
			if err != nil {
				break
			}
			s.SharedEchoed.Add(int64(w))
			out = out[w:]
		}
	}
}

// offerPTs returns the first G.711 payload type offered and the
// telephone-event one (-1 if none).
func offerPTs(sdp []byte) (int, int, error) {
	pt, te := -1, -1
	for _, line := range strings.Split(string(sdp), "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "m=audio "); ok {
			f := strings.Fields(rest)
			for _, p := range f[2:] {
				if p == "0" || p == "8" {
					if pt < 0 {
						pt, _ = strconv.Atoi(p)
					}
				}
			}
		}
		if rest, ok := strings.CutPrefix(line, "a=rtpmap:"); ok && strings.Contains(strings.ToLower(rest), "telephone-event/8000") {
			te, _ = strconv.Atoi(strings.Fields(rest)[0])
		}
	}
	if pt < 0 {
		return 0, 0, errors.New("sipecho: no G.711 in offer")
	}
	return pt, te, nil
}

func answerSDP(addr netip.AddrPort, pt, te int) []byte {
	name := "PCMU"
	if pt == 8 {
		name = "PCMA"
	}
	var b strings.Builder
	ipv := "IP4"
	if addr.Addr().Is6() {
		ipv = "IP6"
	}
	fmt.Fprintf(&b, "v=0\r\no=echo 1 1 IN %s %s\r\ns=echo\r\nc=IN %s %s\r\nt=0 0\r\n", ipv, addr.Addr(), ipv, addr.Addr())
	if te >= 0 {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP %d %d\r\na=rtpmap:%d %s/8000\r\na=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", addr.Port(), pt, te, pt, name, te, te)
	} else {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\n", addr.Port(), pt, pt, name)
	}
	b.WriteString("a=sendrecv\r\n")
	return []byte(b.String())
}

func randHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// WaitActive waits until the number of active calls is n.
func (s *Server) WaitActive(ctx context.Context, n int) error {
	for {
		if s.Active() == n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sipecho: %d active calls, want %d: %w", s.Active(), n, ctx.Err())
		case <-tick():
		}
	}
}
