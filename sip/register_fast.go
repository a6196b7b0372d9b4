package sip

import (
	"bytes"
	"context"
	"net/netip"
	"strconv"
)

// fastRegister answers a REGISTER datagram without sipgo: scanRegister
// reads it (or declines: handled is false and buf is untouched), the
// registrar decides on the same regRequest as for the sipgo path, and
// the response is written into buf. Reading and writing allocate nothing;
// TestFastRegisterMatchesSipgo and FuzzFastRegister check it answers
// exactly what the sipgo path answers.
func (st *state) fastRegister(data []byte, src netip.AddrPort, buf *bytes.Buffer) (code int, handled bool) {
	var sc regScan
	if !scanRegister(data, &sc) || st.passed.has(string(sc.callID)) {
		return 0, false
	}
	var authz [1]string
	var contact [1]regContact
	r := regRequest{
		uri: string(sc.uri), toUser: string(sc.toUser), toHost: string(sc.toHost),
		callID: string(sc.callID), cseq: sc.cseqNo, transport: "udp",
	}
	if sc.hasAuthz {
		authz[0] = string(sc.authz)
		r.authz = authz[:]
	}
	if sc.hasExpires {
		r.expires, r.hasExpires = string(sc.expires), true
	}
	if sc.hasContact {
		c := &sc.contact
		contact[0] = regContact{uri: string(c.uri), host: string(c.host), expires: string(c.expires), hasExpires: c.hasExpires}
		r.contacts = contact[:]
	}
	res := st.registerCore(context.Background(), &r, src)
	st.writeRegisterResponse(buf, &sc, src, &res)
	return res.code, true
}

// writeRegisterResponse writes what registerResponse renders with sipgo:
// the request's Vias (rport filled in, RFC 3581), From, To with this
// server's tag, Call-ID, CSeq, Content-Length, Server, then the result's
// headers.
func (st *state) writeRegisterResponse(buf *bytes.Buffer, sc *regScan, src netip.AddrPort, r *regResult) {
	var num [20]byte
	buf.WriteString("SIP/2.0 ")
	buf.Write(strconv.AppendInt(num[:0], int64(r.code), 10))
	buf.WriteByte(' ')
	buf.WriteString(r.reason)
	for i, via := range sc.vias[:sc.nVia] {
		buf.WriteString("\r\nVia: ")
		if i == 0 {
			writeTopVia(buf, via, src)
		} else {
			buf.Write(via)
		}
	}
	buf.WriteString("\r\nFrom: ")
	buf.Write(sc.from)
	buf.WriteString("\r\nTo: ")
	buf.Write(sc.to)
	if !sc.toTag {
		buf.WriteString(";tag=")
		buf.WriteString(st.toTag)
	}
	buf.WriteString("\r\nCall-ID: ")
	buf.Write(sc.callID)
	buf.WriteString("\r\nCSeq: ")
	buf.Write(sc.cseq)
	buf.WriteString("\r\nContent-Length: 0\r\nServer: ")
	buf.WriteString(st.userAgent)
	for _, c := range r.challenges {
		buf.WriteString("\r\nWWW-Authenticate: ")
		buf.WriteString(c)
	}
	if r.code == 423 {
		buf.WriteString("\r\nMin-Expires: ")
		buf.Write(strconv.AppendInt(num[:0], int64(r.minExpires), 10))
	}
	for _, b := range r.bindings {
		buf.WriteString("\r\nContact: <")
		buf.WriteString(b.Contact)
		buf.WriteString(">;expires=")
		buf.Write(strconv.AppendInt(num[:0], int64(bindingSeconds(b, r.now)), 10))
	}
	buf.WriteString("\r\n\r\n")
}

// writeTopVia writes the top Via; an empty rport parameter gets the
// source port and a received parameter the source address (RFC 3581 §4),
// as sipgo does.
func writeTopVia(buf *bytes.Buffer, via []byte, src netip.AddrPort) {
	head, params, _ := bytes.Cut(via, []byte(";"))
	buf.Write(head)
	rport := false
	for p := params; len(p) > 0; {
		var kv []byte
		kv, p, _ = bytes.Cut(p, []byte(";"))
		if string(kv) == "rport" {
			rport = true
			break
		}
	}
	var num [8]byte
	received := false
	for len(params) > 0 {
		var kv []byte
		kv, params, _ = bytes.Cut(params, []byte(";"))
		buf.WriteByte(';')
		name, _, _ := bytes.Cut(kv, []byte("="))
		switch {
		case rport && string(kv) == "rport":
			buf.WriteString("rport=")
			buf.Write(strconv.AppendUint(num[:0], uint64(src.Port()), 10))
		case rport && string(name) == "received":
			buf.WriteString("received=")
			buf.WriteString(src.Addr().String())
			received = true
		default:
			buf.Write(kv)
		}
	}
	if rport && !received {
		buf.WriteString(";received=")
		buf.WriteString(src.Addr().String())
	}
}
