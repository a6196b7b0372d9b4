package sip

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/webdial/webdial/digest"
)

// register handles one REGISTER (RFC 3261 §10.3) and returns the response.
// It keeps no per-request state: the digest nonce is stateless, so the
// request needs no server transaction. rawURI is the Request-URI exactly as
// received.
func (st *state) register(ctx context.Context, req *sipgosip.Request, rawURI string, src netip.AddrPort) *sipgosip.Response {
	auth := st.authSrv
	if auth == nil {
		return st.response(req, 403, "Registration Disabled")
	}
	if rawURI == "" {
		rawURI = req.Recipient.String()
	}
	user, res, replay := st.authenticate(ctx, req, rawURI, src, "Authorization", "WWW-Authenticate", 401, "Unauthorized")
	if replay {
		if ok := st.retransmittedRegister(ctx, req); ok != nil {
			return ok
		}
	}
	if res != nil {
		return res
	}
	to := req.To()
	if to.Address.User != user || !strings.EqualFold(to.Address.Host, st.domain) {
		// An authenticated user may only bind its own address of record.
		return st.response(req, 403, "Forbidden")
	}
	aor := user + "@" + strings.ToLower(st.domain)

	add, remove, removeAll, res := st.parseContacts(req, src)
	if res != nil {
		return res
	}
	bindings, err := st.locations.Update(ctx, aor, st.now(), add, remove, removeAll, st.reg.MaxBindings)
	if errors.Is(err, ErrTooManyBindings) {
		return st.response(req, 403, "Too Many Bindings")
	}
	if err != nil {
		st.log.Error("sip: location store", "aor", aor, "err", err)
		return st.response(req, 500, "Server Internal Error")
	}
	return st.bindingsResponse(req, bindings, st.now())
}

// authenticate verifies the request's digest credentials. On failure it
// returns the response to send: a challenge (one header line per
// algorithm), 400 for malformed credentials, or 403 once the source gets
// banned. Wrong password and unknown user look the same.
func (st *state) authenticate(ctx context.Context, req *sipgosip.Request, uri string, src netip.AddrPort,
	credHeader, chalHeader string, chalCode int, chalReason string) (user string, res *sipgosip.Response, replay bool) {
	auth := st.authSrv
	values := make([]string, 0, 1)
	for _, h := range req.GetHeaders(credHeader) {
		values = append(values, h.Value())
	}
	authz := ""
	if len(values) == 1 {
		authz = values[0]
	} else if len(values) > 1 {
		authz = digest.SelectCredentials(values, auth.Realm())
	}
	var body []byte
	if req.Body() != nil {
		body = req.Body()
	}
	user, err := auth.Verify(ctx, digest.Request{
		Method:        string(req.Method),
		URI:           uri,
		Authorization: authz,
		Body:          body,
		ClientAddr:    src.Addr(),
	})
	if err == nil {
		return user, nil, false
	}
	stale := false
	switch {
	case errors.Is(err, digest.ErrMalformed):
		return "", st.response(req, 400, "Bad Request"), false
	case errors.Is(err, digest.ErrStale), errors.Is(err, digest.ErrReplay):
		stale = true
		replay = errors.Is(err, digest.ErrReplay)
	case errors.Is(err, digest.ErrBadCredentials):
		if st.guard.authFailed(src.Addr()) {
			st.log.Warn("sip: source banned after repeated authentication failures", "source", src.Addr().String())
			return "", st.response(req, 403, "Forbidden"), false
		}
	case errors.Is(err, digest.ErrNoCredentials), errors.Is(err, digest.ErrInvalidNonce),
		errors.Is(err, digest.ErrWrongRealm), errors.Is(err, digest.ErrUnknownAlgorithm),
		errors.Is(err, digest.ErrURIMismatch):
	default:
		st.log.Error("sip: digest verification", "err", err)
		return "", st.response(req, 500, "Server Internal Error"), false
	}
	res = st.response(req, chalCode, chalReason)
	for _, c := range auth.Challenges(stale, src.Addr()) {
		res.AppendHeader(sipgosip.NewHeader(chalHeader, c))
	}
	return "", res, replay
}

// retransmitWindow is how long a REGISTER retransmission (64*T1) is
// answered from the stored binding instead of being treated as a replay.
const retransmitWindow = 32 * time.Second

// retransmittedRegister answers a REGISTER whose correct credentials were
// already used (digest.ErrReplay) when it is a retransmission of the
// request that last refreshed a binding: same address of record, Call-ID
// and CSeq, within 64*T1. A stateless registrar sees the retransmission
// of a REGISTER whose 200 was lost exactly like a replay; this answers it
// 200 again without changing anything, so a replay gains an attacker
// nothing while a client on a lossy path is not sent back to re-
// authenticate. It returns nil when the request is not such a
// retransmission.
func (st *state) retransmittedRegister(ctx context.Context, req *sipgosip.Request) *sipgosip.Response {
	to := req.To()
	if !strings.EqualFold(to.Address.Host, st.domain) {
		return nil
	}
	now := st.now()
	bs, err := st.locations.Lookup(ctx, to.Address.User+"@"+strings.ToLower(st.domain), now)
	if err != nil {
		return nil
	}
	callID, cseq := req.CallID().Value(), req.CSeq().SeqNo
	match := false
	for _, b := range bs {
		if b.CallID == callID && b.CSeq == cseq && now.Sub(b.Updated) <= retransmitWindow {
			match = true
		}
	}
	if !match {
		return nil
	}
	return st.bindingsResponse(req, bs, now)
}

func (st *state) bindingsResponse(req *sipgosip.Request, bindings []Binding, now time.Time) *sipgosip.Response {
	res := st.response(req, 200, "OK")
	for _, b := range bindings {
		secs := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sipgosip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(secs)))
	}
	return res
}

// parseContacts turns the Contact and Expires headers into store changes.
func (st *state) parseContacts(req *sipgosip.Request, src netip.AddrPort) (add []Binding, remove []string, removeAll bool, res *sipgosip.Response) {
	defExp := st.reg.DefaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		secs, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			return nil, nil, false, st.response(req, 400, "Bad Expires")
		}
		defExp = time.Duration(secs) * time.Second
	}
	contacts := req.GetHeaders("Contact")
	now := st.now()
	source := strings.ToLower(req.Transport()) + ":" + src.String()
	cseq := req.CSeq().SeqNo
	callID := req.CallID().Value()
	for _, h := range contacts {
		c, ok := h.(*sipgosip.ContactHeader)
		if !ok {
			return nil, nil, false, st.response(req, 400, "Bad Contact")
		}
		if c.Address.Wildcard {
			// RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
			if len(contacts) != 1 || defExp != 0 {
				return nil, nil, false, st.response(req, 400, "Bad Contact Wildcard")
			}
			return nil, nil, true, nil
		}
		exp := defExp
		if v, ok := c.Params.Get("expires"); ok {
			secs, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return nil, nil, false, st.response(req, 400, "Bad Expires")
			}
			exp = time.Duration(secs) * time.Second
		}
		uri := c.Address.String()
		if c.Address.Host == "" || len(uri) > 256 {
			return nil, nil, false, st.response(req, 400, "Bad Contact")
		}
		if exp == 0 {
			remove = append(remove, uri)
			continue
		}
		if exp < st.reg.MinExpires {
			res := st.response(req, 423, "Interval Too Brief")
			res.AppendHeader(sipgosip.NewHeader("Min-Expires", strconv.Itoa(int(st.reg.MinExpires/time.Second))))
			return nil, nil, false, res
		}
		exp = min(exp, st.reg.MaxExpires)
		add = append(add, Binding{Contact: uri, Expires: now.Add(exp), Updated: now, CallID: callID, CSeq: cseq, Source: source})
	}
	return add, remove, false, nil
}
