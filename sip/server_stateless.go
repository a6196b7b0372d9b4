package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	sipgosip "github.com/emiago/sipgo/sip"
)

// maxUDPMessage bounds a datagram the stateless path parses; larger ones
// are dropped (RFC 3261 §18.1.1 keeps UDP requests well under this).
const maxUDPMessage = 8192

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readFilter runs in sipgo's socket readers before parsing. It applies the
// per-source limits to every message and answers REGISTER and OPTIONS over
// UDP statelessly (no server transaction, see sipgo-performance.md); it
// returns the data to hand on to sipgo's transaction layer, or nil when the
// message was consumed or dropped.
func (s *Server) readFilter(p sipgosip.TransportReadProps, data []byte) []byte {
	st := s.st
	src := addrPortOf(p.RemoteAddr)
	if !st.guard.allow(src.Addr()) {
		return nil
	}
	if p.Transport != "UDP" || st.udp == nil {
		return data
	}
	if len(data) > maxUDPMessage {
		return nil
	}
	switch {
	case bytes.HasPrefix(data, []byte("REGISTER ")), bytes.HasPrefix(data, []byte("OPTIONS ")):
		st.handleStateless(data, src)
		return nil
	}
	return data
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.TCPAddr:
		ap := a.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// handleStateless parses and answers one REGISTER or OPTIONS datagram.
// Unparsable datagrams are dropped (RFC 3261 §18.3: nothing safe to answer
// to); requests missing a mandatory header get 400.
func (st *state) handleStateless(data []byte, src netip.AddrPort) {
	defer func() {
		if r := recover(); r != nil {
			st.log.Error("sip: stateless handler panic", "source", src.String(), "panic", r)
		}
	}()
	msg, err := st.parser.ParseSIP(data)
	if err != nil {
		return
	}
	req, ok := msg.(*sipgosip.Request)
	if !ok {
		return
	}
	req.SetTransport("UDP")
	req.SetSource(src.String())
	var res *sipgosip.Response
	if err := validateRequest(req); err != nil {
		if !canAnswer(req) {
			return
		}
		res = st.badRequest(req, err)
	} else if req.Method == sipgosip.REGISTER {
		res = st.register(context.Background(), req, requestURI(data), src)
	} else {
		res = st.options(req)
	}
	st.writeUDP(res, src)
}

// writeUDP sends a response to the source address of its request (the
// rport behaviour of RFC 3581, which also works through NAT).
func (st *state) writeUDP(res *sipgosip.Response, dst netip.AddrPort) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	res.StringWrite(buf)
	_, _ = st.udp.WriteToUDPAddrPort(buf.Bytes(), dst)
	bufPool.Put(buf)
}

// requestURI returns the Request-URI exactly as received, which digest
// verification compares byte for byte.
func requestURI(data []byte) string {
	line, _, _ := bytes.Cut(data, []byte("\r\n"))
	_, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return ""
	}
	uri, _, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return ""
	}
	return string(uri)
}

// errVersion marks a request in another SIP version (answered 505).
var errVersion = fmt.Errorf("%w: unsupported sip version", ErrBadRequest)

// validateRequest checks the version and the headers every request needs
// (RFC 3261 §8.1.1).
func validateRequest(req *sipgosip.Request) error {
	if req.SipVersion != "SIP/2.0" {
		return errVersion
	}
	if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		return ErrBadRequest
	}
	if req.CSeq().MethodName != req.Method {
		return ErrBadRequest
	}
	return nil
}

// badRequest answers a request that failed validateRequest.
func (st *state) badRequest(req *sipgosip.Request, err error) *sipgosip.Response {
	if errors.Is(err, errVersion) {
		res := st.response(req, 505, "Version Not Supported")
		res.SipVersion = "SIP/2.0"
		return res
	}
	return st.response(req, 400, "Bad Request")
}

// canAnswer reports whether a response can be routed and matched at all.
func canAnswer(req *sipgosip.Request) bool {
	return req.Via() != nil && req.CallID() != nil && req.CSeq() != nil && req.From() != nil && req.To() != nil
}

// response builds a stateless response with this server's To tag (stable
// across retransmissions, as RFC 3261 §16.11 asks of stateless elements).
func (st *state) response(req *sipgosip.Request, code int, reason string) *sipgosip.Response {
	if to := req.To(); to != nil && code != 100 && !to.Params.Has("tag") {
		to.Params.Add("tag", st.toTag)
	}
	res := sipgosip.NewResponseFromRequest(req, code, reason, nil)
	res.AppendHeader(sipgosip.NewHeader("Server", st.userAgent))
	return res
}

const allowHeader = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER"

func (st *state) options(req *sipgosip.Request) *sipgosip.Response {
	res := st.response(req, 200, "OK")
	res.AppendHeader(sipgosip.NewHeader("Allow", allowHeader))
	res.AppendHeader(sipgosip.NewHeader("Accept", "application/sdp"))
	return res
}
