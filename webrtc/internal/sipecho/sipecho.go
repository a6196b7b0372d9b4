// Package sipecho is a minimal SIP user agent server over UDP that answers
// every INVITE with G.711 and echoes the caller's RTP back to its source.
// It records RFC 4733 telephone-events and can hang calls up with BYE. It
// exists for webdial's webrtc tests and load generator (a lighter peer than
// sipp for hundreds of calls); it is not a SIP implementation.
package sipecho

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
)

// Event is one received telephone-event packet.
type Event struct {
	Code     byte
	End      bool
	Duration uint16
	TS       uint32
}

// Options change how calls are answered.
type Options struct {
	// EarlyMedia sends 183 with SDP (and echoes) before the 200.
	EarlyMedia bool
	// Reject, if non-zero, answers every INVITE with this final status.
	Reject int
	// NoAnswer leaves INVITEs ringing (180) until they are cancelled.
	NoAnswer bool
	// Hold, if set, is called with each answered call before the 200 is
	// sent; the 200 waits until it returns.
	Hold func(callID string)
	// SharedMedia answers every IPv4 call with one media port, echoed by
	// one goroutine in batches (recvmmsg/sendmmsg), as sipp -rtp_echo
	// does. It makes the echo cheap for load tests; calls then record no
	// events and Call.Echoed stays 0 (Server.SharedEchoed counts).
	SharedMedia bool
	// EpollMedia answers every IPv4 call with its own media port, as
	// without options, but echoes all of them from one goroutine (epoll
	// over raw sockets, recvmmsg/sendmmsg on each ready one) instead of a
	// goroutine per call: as cheap for load tests as SharedMedia, with a
	// distinct SIP-side media address per call (what a gateway's shared
	// RTP socket needs to tell calls apart). Calls record no events or
	// first payload; Call.Echoed counts. Linux only (amd64, arm64);
	// elsewhere a goroutine per call. Ignored with SharedMedia.
	EpollMedia bool
	// Observe, if set, is called with every packet a call's own media
	// port echoes (EpollMedia or no media option), before it is echoed,
	// on the echoing goroutine: load tests time the page-to-SIP
	// leg with it. SharedMedia does not call it.
	Observe func(rtp []byte)
}

// Server is the UAS.
type Server struct {
	conn *net.UDPConn
	opts Options

	mu    sync.Mutex
	calls map[string]*Call
	wg    sync.WaitGroup

	shared *net.UDPConn // SharedMedia's port, nil otherwise
	ep     *epollEcho   // EpollMedia's sockets, nil otherwise

	Invites      atomic.Int64 // INVITEs received (retransmissions excluded)
	SharedEchoed atomic.Int64 // RTP packets echoed on the SharedMedia port
}

// Call is one answered (or ringing) call.
type Call struct {
	ID         string
	RequestURI string
	From       string // From header of the INVITE
	rtp        *net.UDPConn
	ep         *epollEcho // EpollMedia: rtp is nil, epID is the socket
	epID       int32
	from       netip.AddrPort // SIP source of the INVITE
	invite     msg
	toTag      string
	done       chan struct{}
	once       sync.Once
	lastRes    []byte

	Echoed atomic.Int64 // RTP packets echoed
	mu     sync.Mutex
	events []Event
	first  []byte // first audio payload received (copy)
}

// Listen starts a server on 127.0.0.1 with an OS-chosen port.
func Listen(opts Options) (*Server, error) {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	s := &Server{conn: c, opts: opts, calls: map[string]*Call{}}
	if opts.SharedMedia {
		if s.shared, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
			_ = c.Close()
			return nil, err
		}
		// Every call's packets queue on this one socket: a default-sized
		// buffer (~270 packets) overflows in bursts at a few hundred calls.
		_ = s.shared.SetReadBuffer(4 << 20)
		s.wg.Add(1)
		go s.echoShared()
	} else if opts.EpollMedia && epollSupported {
		if s.ep, err = newEpollEcho(opts.Observe); err != nil {
			_ = c.Close()
			return nil, err
		}
		go s.ep.run()
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the server's SIP address.
func (s *Server) Addr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Close stops the server and every call.
func (s *Server) Close() {
	_ = s.conn.Close()
	if s.shared != nil {
		_ = s.shared.Close()
	}
	s.mu.Lock()
	for _, c := range s.calls {
		c.stop()
	}
	s.mu.Unlock()
	if s.ep != nil {
		s.ep.stop()
	}
	s.wg.Wait()
}

// Active returns the calls not yet ended.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		select {
		case <-c.done:
		default:
			n++
		}
	}
	return n
}

// Calls returns every call seen.
func (s *Server) Calls() []*Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Call, 0, len(s.calls))
	for _, c := range s.calls {
		out = append(out, c)
	}
	return out
}

// Done is closed when the call ended (BYE either way, CANCEL, Close).
func (c *Call) Done() <-chan struct{} { return c.done }

// Events returns the telephone-events received.
func (c *Call) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.events...)
}

// Digits returns the distinct digits received (one per event start).
func (c *Call) Digits() string {
	var b strings.Builder
	var last uint32
	started := false
	for _, e := range c.Events() {
		if started && e.TS == last {
			continue
		}
		started, last = true, e.TS
		b.WriteByte("0123456789*#ABCD"[e.Code&15])
	}
	return b.String()
}

func (c *Call) stop() {
	c.once.Do(func() {
		close(c.done)
		if c.rtp != nil {
			_ = c.rtp.Close()
		}
		c.mu.Lock()
		ep, id := c.ep, c.epID
		c.mu.Unlock()
		if ep != nil {
			ep.remove(id)
		}
	})
}

type msg struct {
	first   string
	headers []string // "Name: value", in order
	body    []byte
}

var compact = map[string]string{"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length", "c": "content-type"}

func parse(b []byte) (msg, error) {
	head, body, ok := bytes.Cut(b, []byte("\r\n\r\n"))
	if !ok {
		return msg{}, errors.New("sipecho: no header end")
	}
	lines := strings.Split(string(head), "\r\n")
	return msg{first: lines[0], headers: lines[1:], body: body}, nil
}

func (m msg) get(name string) []string {
	var out []string
	for _, h := range m.headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if full, ok := compact[k]; ok {
			k = full
		}
		if k == name {
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

func (m msg) one(name string) string {
	if v := m.get(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (s *Server) serve() {
	defer s.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		m, err := parse(buf[:n])
		if err != nil || strings.HasPrefix(m.first, "SIP/2.0") {
			continue // responses (to our BYE) are not needed
		}
		method, _, _ := strings.Cut(m.first, " ")
		switch method {
		case "INVITE":
			s.onInvite(m, from)
		case "ACK":
		case "BYE", "CANCEL":
			s.respond(m, from, 200, "OK", "", nil)
			s.mu.Lock()
			c := s.calls[m.one("call-id")]
			s.mu.Unlock()
			if c != nil {
				if method == "CANCEL" {
					s.respond(c.invite, from, 487, "Request Terminated", c.toTag, nil)
				}
				c.stop()
			}
		default:
			s.respond(m, from, 200, "OK", "", nil)
		}
	}
}

func (s *Server) respond(m msg, to netip.AddrPort, code int, reason, toTag string, sdp []byte) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "SIP/2.0 %d %s\r\n", code, reason)
	for _, v := range m.get("via") {
		fmt.Fprintf(&b, "Via: %s\r\n", v)
	}
	fmt.Fprintf(&b, "From: %s\r\n", m.one("from"))
	t := m.one("to")
	if toTag != "" && !strings.Contains(t, ";tag=") {
		t += ";tag=" + toTag
	}
	fmt.Fprintf(&b, "To: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n", t, m.one("call-id"), m.one("cseq"))
	fmt.Fprintf(&b, "Contact: <sip:echo@%s>\r\n", s.Addr())
	if len(sdp) > 0 {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(sdp))
	out := append([]byte(b.String()), sdp...)
	_, _ = s.conn.WriteToUDPAddrPort(out, to)
	return out
}

func (s *Server) onInvite(m msg, from netip.AddrPort) {
	id := m.one("call-id")
	s.mu.Lock()
	c := s.calls[id]
	if c != nil {
		s.mu.Unlock()
		if c.lastRes != nil {
			_, _ = s.conn.WriteToUDPAddrPort(c.lastRes, from)
		}
		return
	}
	c = &Call{ID: id, from: from, invite: m, toTag: randHex(), done: make(chan struct{}), From: m.one("from")}
	if f := strings.Fields(m.first); len(f) == 3 {
		c.RequestURI = f[1]
	}
	s.calls[id] = c
	s.mu.Unlock()
	s.Invites.Add(1)
	if s.opts.Reject != 0 {
		c.lastRes = s.respond(m, from, s.opts.Reject, "Rejected", c.toTag, nil)
		c.stop()
		return
	}
	pt, te, err := offerPTs(m.body)
	if err != nil {
		c.lastRes = s.respond(m, from, 488, "Not Acceptable Here", c.toTag, nil)
		c.stop()
		return
	}
	ip := net.IPv4(127, 0, 0, 1)
	v6 := strings.Contains(string(m.body), "c=IN IP6")
	if v6 {
		ip = net.IPv6loopback
	}
	var media netip.AddrPort
	if s.shared != nil && !v6 {
		media = s.shared.LocalAddr().(*net.UDPAddr).AddrPort()
	} else if s.ep != nil && !v6 {
		id, addr, err := s.ep.listen(c)
		if err != nil {
			c.lastRes = s.respond(m, from, 503, "Service Unavailable", c.toTag, nil)
			c.stop()
			return
		}
		c.mu.Lock()
		c.ep, c.epID = s.ep, id
		c.mu.Unlock()
		select {
		case <-c.done: // stopped meanwhile: stop saw no socket
			s.ep.remove(id)
			return
		default:
		}
		media = addr
	} else {
		c.rtp, err = net.ListenUDP("udp", &net.UDPAddr{IP: ip})
		if err != nil {
			c.lastRes = s.respond(m, from, 503, "Service Unavailable", c.toTag, nil)
			c.stop()
			return
		}
		s.wg.Add(1)
		go s.echo(c, te)
		media = c.rtp.LocalAddr().(*net.UDPAddr).AddrPort()
	}
	sdp := answerSDP(media, pt, te)
	if s.opts.EarlyMedia {
		s.respond(m, from, 183, "Session Progress", c.toTag, sdp)
	} else {
		s.respond(m, from, 180, "Ringing", c.toTag, nil)
	}
	if s.opts.NoAnswer {
		return
	}
	answer := func() {
		if s.opts.Hold != nil {
			s.opts.Hold(id)
		}
		select {
		case <-c.done:
			return
		default:
		}
		res := s.respond(m, from, 200, "OK", c.toTag, sdp)
		s.mu.Lock()
		c.lastRes = res
		s.mu.Unlock()
	}
	if s.opts.Hold != nil {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); answer() }()
		return
	}
	answer()
}
