package sip

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// DialRequest describes one outbound call for [Dialer.Dial].
type DialRequest struct {
	// Target is the Request-URI, e.g. "sip:echo@127.0.0.1:5090". The
	// caller has already checked it against its policy. Required.
	Target string
	// From is the caller identity as a SIP URI or name-addr, e.g.
	// `"Visitor" <sip:anonymous.x1@anonymous.invalid>`. If empty,
	// <sip:anonymous@anonymous.invalid> (RFC 3323).
	From string
	// Proxy is an optional outbound proxy, "host:port" or a SIP URI. The
	// INVITE goes there with a pre-loaded Route (loose routing); the
	// Request-URI stays Target.
	Proxy string
	// NextHop, if set, is the "ip:port" the INVITE (and its CANCEL) is
	// sent to, whatever Target and Proxy name, with no header naming it:
	// a registrar's router uses it to reach a contact at the address its
	// REGISTER came from (NAT), and never at a host the contact names.
	// The dialog's own requests (ACK, BYE) go there too, unless the
	// answer set a route (Record-Route): a device behind NAT often names
	// a private address in the Contact of its answer.
	NextHop string
	// Username and Password are the server-held credentials used to
	// answer 401 (Authorization) and 407 (Proxy-Authorization)
	// challenges, each realm at most once per call. If Username is
	// empty, challenges are not answered and Dial fails with
	// ErrAuthFailed.
	Username string
	Password string
	// Realm, if set, is the only realm whose challenges are answered, so
	// that a stranger on the path cannot obtain a digest to attack.
	Realm string
	// SDP is the offer (plain RTP/AVP). Required.
	SDP []byte
	// MaxForwards is the INVITE's Max-Forwards, 1 to 255. If zero, 70
	// (RFC 3261 8.1.1.6). A B2BUA passes the inbound value minus one, so a
	// loop through other B2BUAs still runs out of hops.
	MaxForwards int
	// OnProgress, if set, receives each provisional response above 100
	// (180 Ringing, 183 Session Progress with early SDP). It is called
	// on Dial's goroutine, so it must not block for long. sipgo handles
	// each datagram on its own goroutine: responses that arrive within
	// a millisecond or so of each other may be reported out of order,
	// and one overtaken by the final response is not reported at all.
	OnProgress func(Progress)
}

// dialogBase is what every request of one call shares.
type dialogBase struct {
	callID     string
	localTag   string
	from       *sipmsg.FromHeader
	inviteCSeq uint32
	transport  string
	nextHop    string // DialRequest.NextHop, normalised, or ""
}

// invite is one Dial in progress.
type invite struct {
	dialogBase
	target    sipmsg.Uri
	contact   *sipmsg.ContactHeader
	userAgent string
	route     *sipmsg.Uri // pre-loaded outbound proxy route
	maxFwd    sipmsg.MaxForwardsHeader
	sdp       []byte
	req       *sipmsg.Request // current INVITE (one per auth round)
	early     []byte
	auth      *authState
}

func (d *Dialer) newInvite(r DialRequest) (*invite, error) {
	inv := &invite{sdp: r.SDP, contact: d.contact(), userAgent: d.cfg.UserAgent}
	if len(r.SDP) == 0 {
		return nil, fmt.Errorf("%w: empty SDP offer", ErrBadDialRequest)
	}
	switch {
	case r.MaxForwards == 0:
		inv.maxFwd = 70
	case r.MaxForwards < 1 || r.MaxForwards > 255:
		return nil, fmt.Errorf("%w: MaxForwards %d outside 1..255", ErrBadDialRequest, r.MaxForwards)
	default:
		inv.maxFwd = sipmsg.MaxForwardsHeader(r.MaxForwards)
	}
	if err := parseSIPURI(r.Target, &inv.target); err != nil {
		return nil, fmt.Errorf("%w: Target: %v", ErrBadDialRequest, err)
	}
	from := r.From
	if from == "" {
		from = "<sip:anonymous@anonymous.invalid>"
	}
	if strings.ContainsAny(from, "\r\n\x00") {
		return nil, fmt.Errorf("%w: From contains a control character", ErrBadDialRequest)
	}
	fh := &sipmsg.FromHeader{Params: sipmsg.NewParams()}
	name, err := sipmsg.ParseAddressValue(from, &fh.Address, &fh.Params)
	if err != nil || (fh.Address.Scheme != "sip" && fh.Address.Scheme != "sips") || fh.Address.Host == "" {
		return nil, fmt.Errorf("%w: From %q is not a SIP URI or name-addr", ErrBadDialRequest, from)
	}
	fh.DisplayName = name
	inv.localTag = sipmsg.GenerateTagN(16)
	fh.Params.Add("tag", inv.localTag)
	inv.from = fh
	if r.Proxy != "" {
		p := r.Proxy
		if !strings.HasPrefix(strings.ToLower(p), "sip:") {
			p = "sip:" + p
		}
		var u sipmsg.Uri
		if err := parseSIPURI(p, &u); err != nil {
			return nil, fmt.Errorf("%w: Proxy: %v", ErrBadDialRequest, err)
		}
		if u.UriParams == nil {
			u.UriParams = sipmsg.NewParams()
		}
		if !u.UriParams.Has("lr") {
			u.UriParams.Add("lr", "")
		}
		inv.route = &u
	}
	if r.NextHop != "" {
		ap, err := netip.ParseAddrPort(r.NextHop)
		if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" {
			return nil, fmt.Errorf("%w: NextHop %q is not an ip:port", ErrBadDialRequest, r.NextHop)
		}
		inv.nextHop = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	// 128 random bits: a Call-ID must be globally unique (RFC 3261 8.1.1.4)
	// and must not reveal anything about the server or the caller.
	inv.callID = rand.Text()
	inv.inviteCSeq = 1
	inv.transport = d.sock.transport()
	if r.Username != "" {
		inv.auth = newAuthState(r.Username, r.Password, r.Realm)
	}
	inv.req = inv.build(nil)
	return inv, nil
}

// parseSIPURI accepts only sip: URIs with a host (sips needs TLS, which
// the dialer does not offer).
func parseSIPURI(s string, u *sipmsg.Uri) error {
	if strings.ContainsAny(s, "\r\n\x00<> ") {
		return errors.New("not a bare SIP URI")
	}
	if err := sipmsg.ParseUri(s, u); err != nil {
		return err
	}
	if u.Scheme != "sip" || u.Host == "" {
		return fmt.Errorf("%q is not a sip: URI with a host", s)
	}
	return nil
}

// build makes the INVITE for the current CSeq with the given auth lines.
func (inv *invite) build(creds []credential) *sipmsg.Request {
	req := sipmsg.NewRequest(sipmsg.INVITE, *inv.target.Clone())
	if inv.route != nil {
		req.AppendHeader(&sipmsg.RouteHeader{Address: *inv.route.Clone()})
	}
	maxFwd := inv.maxFwd
	req.AppendHeader(&maxFwd)
	req.AppendHeader(sipmsg.HeaderClone(inv.from))
	req.AppendHeader(&sipmsg.ToHeader{Address: sipmsg.Uri{Scheme: inv.target.Scheme,
		User: inv.target.User, Host: inv.target.Host, Port: inv.target.Port}, Params: sipmsg.NewParams()})
	callID := sipmsg.CallIDHeader(inv.callID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.inviteCSeq, MethodName: sipmsg.INVITE})
	req.AppendHeader(inv.contact.Clone())
	for _, c := range creds {
		req.AppendHeader(sipmsg.NewHeader(c.header, c.value))
	}
	req.SetBody(inv.sdp)
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.AppendHeader(sipmsg.NewHeader("Allow", allowMethods))
	req.AppendHeader(sipmsg.NewHeader("User-Agent", inv.userAgent))
	req.SetTransport(inv.transport)
	if inv.nextHop != "" {
		req.SetDestination(inv.nextHop)
	}
	return req
}

// Dial places a call: it sends the INVITE (answering 401/407 at most
// once per realm), reports provisional responses to req.OnProgress, and
// returns once a 2xx has arrived and been ACKed.
//
// A non-2xx final response returns a [*CallError] (errors.Is ErrRejected,
// ErrBusy, ErrAuthFailed). If ctx ends first, or RingTimeout elapses, or
// the Dialer is closed, the INVITE is cancelled and Dial returns ctx's
// error, ErrRingTimeout or ErrDialerClosed at once; the CANCEL and the
// wait for 487 continue in the background (bounded, ended by Close), and
// a 2xx that races the CANCEL is ACKed and released with BYE.
func (d *Dialer) Dial(ctx context.Context, req DialRequest) (*Call, error) {
	inv, err := d.newInvite(req)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // nothing sent, nothing to cancel
	}
	if !d.track() {
		return nil, ErrDialerClosed
	}
	defer d.wg.Done()

	dctx, dcancel := context.WithCancelCause(ctx)
	defer dcancel(nil)
	stop := context.AfterFunc(d.ctx, func() { dcancel(ErrDialerClosed) })
	defer stop()
	rctx, rcancel := context.WithTimeoutCause(dctx, d.cfg.RingTimeout, ErrRingTimeout)
	defer rcancel()

	log := d.log.With("call_id", inv.callID)
	log.Info("dialing", "target", inv.target.String())
	for attempt := 1; ; attempt++ {
		tx, err := d.cli.TransactionRequest(rctx, inv.req, d.reqOpt)
		if err != nil {
			return nil, fmt.Errorf("%w: send INVITE: %w", ErrNoResponse, err)
		}
		res, provisional, err := inv.await(rctx, tx, req.OnProgress)
		if err != nil {
			// Context ended before a final response: cancel.
			cause := context.Cause(rctx)
			d.startCancel(inv, tx, provisional)
			log.Info("dial cancelled", "cause", cause)
			if errors.Is(cause, ErrRingTimeout) || errors.Is(cause, ErrDialerClosed) {
				return nil, cause
			}
			return nil, ctx.Err()
		}
		if res == nil {
			tx.Terminate()
			return nil, fmt.Errorf("%w: %w", ErrNoResponse, tx.Err())
		}
		if res.IsSuccess() {
			c, err := d.establish(inv, tx, res)
			if err != nil {
				return nil, err
			}
			log.Info("call answered", "status", res.StatusCode)
			return c, nil
		}
		if res.StatusCode == 401 || res.StatusCode == 407 {
			err := errTooManyChallenges
			if attempt < maxInviteAttempts {
				var creds []credential
				if creds, err = inv.answerChallenge(res); err == nil {
					log.Debug("answering challenge", "status", res.StatusCode)
					inv.inviteCSeq++
					inv.req = inv.build(creds)
					continue
				}
			}
			log.Info("call refused: authentication", "status", res.StatusCode, "reason", err)
			return nil, &CallError{StatusCode: res.StatusCode, Reason: res.Reason, authFailed: true}
		}
		log.Info("call rejected", "status", res.StatusCode, "reason", res.Reason)
		return nil, &CallError{StatusCode: res.StatusCode, Reason: res.Reason}
	}
}

// await reads the INVITE transaction until a final response (returned),
// the transaction's end (nil response, nil error), or ctx's end (error).
// provisional reports whether a 1xx arrived (CANCEL is then allowed).
func (inv *invite) await(ctx context.Context, tx sipmsg.ClientTransaction, onProgress func(Progress)) (res *sipmsg.Response, provisional bool, err error) {
	for {
		select {
		case r := <-tx.Responses():
			if !r.IsProvisional() {
				return r, provisional, nil
			}
			provisional = true
			if r.StatusCode == 100 {
				continue
			}
			p := Progress{StatusCode: r.StatusCode, Reason: r.Reason}
			if isSDP(r) {
				p.SDP = append([]byte(nil), r.Body()...)
				inv.early = p.SDP
			}
			if onProgress != nil {
				onProgress(p)
			}
		case <-tx.Done():
			return nil, provisional, nil
		case <-ctx.Done():
			return nil, provisional, ctx.Err()
		}
	}
}

func isSDP(m *sipmsg.Response) bool {
	if len(m.Body()) == 0 {
		return false
	}
	ct := m.GetHeader("Content-Type")
	return ct != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct.Value())), "application/sdp")
}
