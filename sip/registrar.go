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
	user, res := st.authenticate(ctx, req, rawURI, src, "Authorization", "WWW-Authenticate", 401, "Unauthorized")
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
	res = st.response(req, 200, "OK")
	now := st.now()
	for _, b := range bindings {
		secs := int(b.Expires.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sipgosip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(secs)))
	}
	return res
}

// authenticate verifies the request's digest credentials. On failure it
// returns the response to send: a challenge (one header line per
// algorithm), 400 for malformed credentials, or 403 once the source gets
// banned. Wrong password and unknown user look the same.
func (st *state) authenticate(ctx context.Context, req *sipgosip.Request, uri string, src netip.AddrPort,
	credHeader, chalHeader string, chalCode int, chalReason string) (string, *sipgosip.Response) {
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
		return user, nil
	}
	stale := false
	switch {
	case errors.Is(err, digest.ErrMalformed):
		return "", st.response(req, 400, "Bad Request")
	case errors.Is(err, digest.ErrStale), errors.Is(err, digest.ErrReplay):
		stale = true
	case errors.Is(err, digest.ErrBadCredentials):
		if st.guard.authFailed(src.Addr()) {
			st.log.Warn("sip: source banned after repeated authentication failures", "source", src.Addr().String())
			return "", st.response(req, 403, "Forbidden")
		}
	case errors.Is(err, digest.ErrNoCredentials), errors.Is(err, digest.ErrInvalidNonce),
		errors.Is(err, digest.ErrWrongRealm), errors.Is(err, digest.ErrUnknownAlgorithm),
		errors.Is(err, digest.ErrURIMismatch):
	default:
		st.log.Error("sip: digest verification", "err", err)
		return "", st.response(req, 500, "Server Internal Error")
	}
	res := st.response(req, chalCode, chalReason)
	for _, c := range auth.Challenges(stale, src.Addr()) {
		res.AppendHeader(sipgosip.NewHeader(chalHeader, c))
	}
	return "", res
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
		add = append(add, Binding{Contact: uri, Expires: now.Add(exp), CallID: callID, CSeq: cseq, Source: source})
	}
	return add, remove, false, nil
}
