package sip

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"

	sipgosip "github.com/emiago/sipgo/sip"
)

// maxUDPMessage bounds a datagram the stateless path parses; larger ones
// are dropped (RFC 3261 §18.1.1 keeps UDP requests well under this).
const maxUDPMessage = 8192

// readFilter runs in sipgo's stream readers (TCP) before sipgo parses
// anything and applies the per-source limits. UDP is read by udpMux, which
// hands sipgo only the messages of admitted calls.
func (s *Server) readFilter(p sipgosip.TransportReadProps, data []byte) []byte {
	st := s.st.Load()
	if p.Transport == "UDP" {
		return data // from udpMux, already filtered
	}
	if !st.guard.allow(addrPortOf(p.RemoteAddr).Addr()) {
		return nil
	}
	return data
}

// filterUDP handles one datagram outside sipgo: it answers statelessly
// (returning the response) everything that does not belong to an admitted
// call — REGISTER, OPTIONS, rejected INVITEs, stray requests — drops
// garbage, and reports pass for the rest, which sipgo must handle.
func (st *state) filterUDP(data []byte, src netip.AddrPort) (res *sipgosip.Response, pass bool) {
	defer func() {
		if r := recover(); r != nil {
			st.log.Error("sip: udp filter panic", "source", src.String(), "panic", r)
			res, pass = nil, false
		}
	}()
	msg, err := st.parser.ParseSIP(data)
	if err != nil {
		return nil, false // RFC 3261 §18.3: nothing safe to answer to
	}
	switch m := msg.(type) {
	case *sipgosip.Response:
		// Responses to our in-dialog requests (BYE toward a caller).
		return nil, m.CallID() != nil && st.passed.has(m.CallID().Value())
	case *sipgosip.Request:
		return st.filterRequest(m, data, src)
	}
	return nil, false
}

func (st *state) filterRequest(req *sipgosip.Request, data []byte, src netip.AddrPort) (*sipgosip.Response, bool) {
	req.SetTransport("UDP")
	req.SetSource(src.String())
	if err := validateRequest(req); err != nil {
		if canAnswer(req) && !req.IsAck() {
			return st.badRequest(req, err), false
		}
		return nil, false
	}
	if st.passed.has(req.CallID().Value()) {
		return nil, true // retransmissions, ACK, CANCEL, BYE of an admitted call
	}
	switch req.Method {
	case sipgosip.REGISTER:
		return st.register(context.Background(), req, requestURI(data), src), false
	case sipgosip.OPTIONS:
		return st.options(req), false
	case sipgosip.INVITE:
		adm, rej := st.admit(req, src)
		if rej == nil {
			st.passed.add(req, adm)
			return nil, true
		}
		return rej, false
	case sipgosip.ACK:
		return nil, false // for a stateless final response, or stray
	}
	return st.unsupported(req), false
}

// unsupported answers a request outside any call: 481 inside a dialog or
// for CANCEL/BYE, 405 for known methods the server does not offer, 501 for
// unknown ones.
func (st *state) unsupported(req *sipgosip.Request) *sipgosip.Response {
	if req.Method == sipgosip.CANCEL || req.Method == sipgosip.BYE || req.To().Params.Has("tag") {
		return st.response(req, 481, "Call/Transaction Does Not Exist")
	}
	var res *sipgosip.Response
	switch req.Method {
	case sipgosip.SUBSCRIBE, sipgosip.NOTIFY, sipgosip.MESSAGE, sipgosip.INFO, sipgosip.UPDATE,
		sipgosip.PRACK, sipgosip.PUBLISH, sipgosip.REFER:
		res = st.response(req, 405, "Method Not Allowed")
	default:
		res = st.response(req, 501, "Not Implemented")
	}
	res.AppendHeader(sipgosip.NewHeader("Allow", allowHeader))
	return res
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
