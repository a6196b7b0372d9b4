package sip

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

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
// authenticate. matched is false when the request is not such a
// retransmission.
func (st *state) retransmittedRegister(ctx context.Context, r *regRequest) (res regResult, matched bool) {
	if !strings.EqualFold(r.toHost, st.domain) {
		return regResult{}, false
	}
	now := st.now()
	bs, err := st.locations.Lookup(ctx, r.toUser+"@"+strings.ToLower(st.domain), now)
	if err != nil {
		return regResult{}, false
	}
	for _, b := range bs {
		if b.CallID == r.callID && b.CSeq == r.cseq && now.Sub(b.Updated) <= retransmitWindow {
			matched = true
		}
	}
	if !matched {
		return regResult{}, false
	}
	return regResult{code: 200, reason: "OK", bindings: bs, now: now}, true
}

// outOfOrder applies RFC 3261 §10.3 steps 6 and 7: a REGISTER that would
// change a binding last refreshed with the same Call-ID and a CSeq at
// least as high arrived out of order (delayed on the way) and must fail
// rather than undo the newer request. A lookup error lets the update go
// on; the store reports its own failure.
func (st *state) outOfOrder(ctx context.Context, aor string, r *regRequest, add []Binding, remove []string, removeAll bool) bool {
	bs, err := st.locations.Lookup(ctx, aor, st.now())
	if err != nil {
		return false
	}
	for _, b := range bs {
		if b.CallID != r.callID || b.CSeq < r.cseq {
			continue
		}
		if removeAll || containsFold(remove, b.Contact) || indexBinding(add, b.Contact) >= 0 {
			return true
		}
	}
	return false
}

// parseContacts turns the Contact and Expires headers into store changes.
func (st *state) parseContacts(r *regRequest, src netip.AddrPort) (add []Binding, remove []string, removeAll bool, res regResult) {
	bad := func(reason string) ([]Binding, []string, bool, regResult) {
		return nil, nil, false, regResult{code: 400, reason: reason}
	}
	defExp := st.reg.DefaultExpires
	if r.hasExpires {
		secs, err := strconv.ParseUint(strings.TrimSpace(r.expires), 10, 32)
		if err != nil {
			return bad("Bad Expires")
		}
		defExp = time.Duration(secs) * time.Second
	}
	now := st.now()
	source := r.transport + ":" + src.String()
	for _, c := range r.contacts {
		if c.bad {
			return bad("Bad Contact")
		}
		if c.wildcard {
			// RFC 3261 §10.3 step 6: "*" only alone and with Expires: 0.
			if len(r.contacts) != 1 || defExp != 0 {
				return bad("Bad Contact Wildcard")
			}
			return nil, nil, true, regResult{}
		}
		exp := defExp
		if c.hasExpires {
			secs, err := strconv.ParseUint(c.expires, 10, 32)
			if err != nil {
				return bad("Bad Expires")
			}
			exp = time.Duration(secs) * time.Second
		}
		if c.host == "" || len(c.uri) > 256 {
			return bad("Bad Contact")
		}
		if exp == 0 {
			remove = append(remove, c.uri)
			continue
		}
		if exp < st.reg.MinExpires {
			return nil, nil, false, regResult{code: 423, reason: "Interval Too Brief", minExpires: int(st.reg.MinExpires / time.Second)}
		}
		exp = min(exp, st.reg.MaxExpires)
		add = append(add, Binding{Contact: c.uri, Expires: now.Add(exp), Updated: now, CallID: r.callID, CSeq: r.cseq, Source: source})
	}
	return add, remove, false, regResult{}
}
