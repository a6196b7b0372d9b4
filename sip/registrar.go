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

// regRequest is what the registrar reads from a REGISTER, whichever
// parser read it: sipgo (regRequestOf) or the UDP fast path
// (scanRegister). Every decision is taken on this, so both paths answer
// alike.
type regRequest struct {
	uri        string   // Request-URI exactly as received
	authz      []string // Authorization values
	body       []byte
	toUser     string
	toHost     string
	callID     string
	cseq       uint32
	expires    string // Expires header value
	hasExpires bool
	contacts   []regContact
	transport  string // lowercase
}

// regContact is one Contact value.
type regContact struct {
	bad        bool   // not a Contact sipgo could type
	wildcard   bool   // "*"
	uri        string // as sipgo's Uri.String writes it
	host       string
	expires    string // expires parameter
	hasExpires bool
}

// regResult is the registrar's answer to one REGISTER.
type regResult struct {
	code       int
	reason     string
	challenges []string  // WWW-Authenticate values
	minExpires int       // Min-Expires seconds (423)
	bindings   []Binding // Contact lines (200)
	now        time.Time // for the bindings' remaining expiry
}

// register handles one REGISTER (RFC 3261 §10.3) and returns the response.
// It keeps no per-request state: the digest nonce is stateless, so the
// request needs no server transaction. rawURI is the Request-URI exactly as
// received.
func (st *state) register(ctx context.Context, req *sipgosip.Request, rawURI string, src netip.AddrPort) *sipgosip.Response {
	if rawURI == "" {
		rawURI = req.Recipient.String()
	}
	r := regRequestOf(req, rawURI)
	return st.registerResponse(req, st.registerCore(ctx, &r, src))
}

// regRequestOf reads a REGISTER parsed by sipgo.
func regRequestOf(req *sipgosip.Request, rawURI string) regRequest {
	r := regRequest{uri: rawURI, body: req.Body(), transport: strings.ToLower(req.Transport())}
	for _, h := range req.GetHeaders("Authorization") {
		r.authz = append(r.authz, h.Value())
	}
	to := req.To()
	r.toUser, r.toHost = to.Address.User, to.Address.Host
	r.callID, r.cseq = req.CallID().Value(), req.CSeq().SeqNo
	if h := req.GetHeader("Expires"); h != nil {
		r.expires, r.hasExpires = h.Value(), true
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sipgosip.ContactHeader)
		if !ok {
			r.contacts = append(r.contacts, regContact{bad: true})
			continue
		}
		rc := regContact{wildcard: c.Address.Wildcard, uri: c.Address.String(), host: c.Address.Host}
		rc.expires, rc.hasExpires = c.Params.Get("expires")
		r.contacts = append(r.contacts, rc)
	}
	return r
}

// registerResponse renders a regResult with sipgo.
func (st *state) registerResponse(req *sipgosip.Request, r regResult) *sipgosip.Response {
	res := st.response(req, r.code, r.reason)
	for _, c := range r.challenges {
		res.AppendHeader(sipgosip.NewHeader("WWW-Authenticate", c))
	}
	if r.code == 423 {
		res.AppendHeader(sipgosip.NewHeader("Min-Expires", strconv.Itoa(r.minExpires)))
	}
	for _, b := range r.bindings {
		res.AppendHeader(sipgosip.NewHeader("Contact", "<"+b.Contact+">;expires="+strconv.Itoa(bindingSeconds(b, r.now))))
	}
	return res
}

func bindingSeconds(b Binding, now time.Time) int {
	return int(b.Expires.Sub(now).Round(time.Second) / time.Second)
}

// registerCore decides the answer to one REGISTER.
func (st *state) registerCore(ctx context.Context, r *regRequest, src netip.AddrPort) regResult {
	if st.authSrv == nil {
		return regResult{code: 403, reason: "Registration Disabled"}
	}
	user, fail := st.verifyCredentials(ctx, "REGISTER", r.uri, r.authz, r.body, src, 401, "Unauthorized")
	if fail.replay {
		if ok, matched := st.retransmittedRegister(ctx, r); matched {
			return ok
		}
	}
	if fail.code != 0 {
		return regResult{code: fail.code, reason: fail.reason, challenges: fail.challenges}
	}
	if r.toUser != user || !strings.EqualFold(r.toHost, st.domain) {
		// An authenticated user may only bind its own address of record.
		return regResult{code: 403, reason: "Forbidden"}
	}
	aor := user + "@" + strings.ToLower(st.domain)

	add, remove, removeAll, res := st.parseContacts(r, src)
	if res.code != 0 {
		return res
	}
	if st.outOfOrder(ctx, aor, r, add, remove, removeAll) {
		return regResult{code: 400, reason: "Invalid CSeq Number"}
	}
	bindings, err := st.locations.Update(ctx, aor, st.now(), add, remove, removeAll, st.reg.MaxBindings)
	if errors.Is(err, ErrTooManyBindings) {
		return regResult{code: 403, reason: "Too Many Bindings"}
	}
	if err != nil {
		st.log.Error("sip: location store", "aor", aor, "err", err)
		return regResult{code: 500, reason: "Server Internal Error"}
	}
	return regResult{code: 200, reason: "OK", bindings: bindings, now: st.now()}
}

// authFailure is a failed digest verification: the response code and
// reason (401/407 challenge, 400, 403 ban, 500), the challenge values, and
// whether the credentials were a replay.
type authFailure struct {
	code       int // 0: verified
	reason     string
	challenges []string
	replay     bool
}

// authenticate verifies a request's digest credentials (credHeader). On
// failure it returns the response to send: a challenge (one chalHeader
// line per algorithm), 400 for malformed credentials, or 403 once the
// source gets banned.
func (st *state) authenticate(ctx context.Context, req *sipgosip.Request, uri string, src netip.AddrPort,
	credHeader, chalHeader string, chalCode int, chalReason string) (user string, res *sipgosip.Response, replay bool) {
	var values []string
	for _, h := range req.GetHeaders(credHeader) {
		values = append(values, h.Value())
	}
	user, fail := st.verifyCredentials(ctx, string(req.Method), uri, values, req.Body(), src, chalCode, chalReason)
	if fail.code == 0 {
		return user, nil, false
	}
	res = st.response(req, fail.code, fail.reason)
	for _, c := range fail.challenges {
		res.AppendHeader(sipgosip.NewHeader(chalHeader, c))
	}
	return "", res, fail.replay
}

// verifyCredentials verifies the digest credentials among values (the
// Authorization or Proxy-Authorization values). Wrong password and
// unknown user look the same.
func (st *state) verifyCredentials(ctx context.Context, method, uri string, values []string, body []byte, src netip.AddrPort,
	chalCode int, chalReason string) (string, authFailure) {
	auth := st.authSrv
	authz := ""
	if len(values) == 1 {
		authz = values[0]
	} else if len(values) > 1 {
		authz = digest.SelectCredentials(values, auth.Realm())
	}
	user, err := auth.Verify(ctx, digest.Request{Method: method, URI: uri, Authorization: authz, Body: body, ClientAddr: src.Addr()})
	if err == nil {
		return user, authFailure{}
	}
	stale, replay := false, false
	switch {
	case errors.Is(err, digest.ErrMalformed):
		return "", authFailure{code: 400, reason: "Bad Request"}
	case errors.Is(err, digest.ErrStale), errors.Is(err, digest.ErrReplay):
		stale = true
		replay = errors.Is(err, digest.ErrReplay)
	case errors.Is(err, digest.ErrBadCredentials):
		if st.guard.authFailed(src.Addr()) {
			st.log.Warn("sip: source banned after repeated authentication failures", "source", src.Addr().String())
			return "", authFailure{code: 403, reason: "Forbidden"}
		}
	case errors.Is(err, digest.ErrNoCredentials), errors.Is(err, digest.ErrInvalidNonce),
		errors.Is(err, digest.ErrWrongRealm), errors.Is(err, digest.ErrUnknownAlgorithm),
		errors.Is(err, digest.ErrURIMismatch):
	default:
		st.log.Error("sip: digest verification", "err", err)
		return "", authFailure{code: 500, reason: "Server Internal Error"}
	}
	return "", authFailure{code: chalCode, reason: chalReason, challenges: auth.Challenges(stale, src.Addr()), replay: replay}
}
