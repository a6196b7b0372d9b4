package webrtc

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"time"

	pionwebrtc "github.com/pion/webrtc/v4"

	"github.com/webdial/webdial/anon"
	"github.com/webdial/webdial/token"
)

// checkOrigin applies the exact allow-list, then the connect hook.
func (g *Gateway) checkOrigin(ctx context.Context, r *http.Request, origin string) error {
	if g.cfg.Origins != nil && !g.cfg.Origins.Allowed(origin) {
		return fmt.Errorf("%w: %q", ErrForbiddenOrigin, origin)
	}
	if g.cfg.Connect != nil {
		err := g.cfg.Connect.Connect(ctx, ConnectRequest{Origin: origin, ClientAddr: clientAddr(r), UserAgent: r.UserAgent()})
		if err != nil {
			return refusal(ErrForbiddenOrigin, err)
		}
	}
	return nil
}

// refusal keeps an error that already carries a status, and files any
// other under def.
func refusal(def, err error) error {
	if StatusCode(err) != http.StatusInternalServerError {
		return err
	}
	return fmt.Errorf("%w: %w", def, err)
}

func clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// openToken checks the call token, bound to the page's origin.
func (g *Gateway) openToken(ctx context.Context, r *http.Request, origin string) (token.Claims, error) {
	if g.cfg.Sealer == nil {
		return token.Claims{}, nil // InsecureNoToken, checked by New
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return token.Claims{}, fmt.Errorf("%w: no bearer token", ErrUnauthorized)
	}
	aud, err := token.ParseOrigin(origin)
	if err != nil {
		return token.Claims{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	claims, err := g.cfg.Sealer.Open(ctx, strings.TrimSpace(tok), aud)
	if err != nil {
		return token.Claims{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	return claims, nil
}

// decide asks the call hook and the policy what the call may reach.
func (g *Gateway) decide(ctx context.Context, r *http.Request, id, origin string, claims token.Claims) (dialRequest, error) {
	q := r.URL.Query()
	var d CallDecision
	if g.cfg.Call != nil {
		var err error
		d, err = g.cfg.Call.Call(ctx, CallRequest{
			CallID: id, Origin: origin, ClientAddr: clientAddr(r),
			Subject: claims.Subject, Destination: claims.Destination,
			PageCallee: q.Get("callee"), PageLogin: q.Get("sipLogin"), PagePassword: q.Get("sipPassword"),
		})
		if err != nil {
			return dialRequest{}, refusal(ErrForbidden, err)
		}
	}
	callee := d.Callee
	if callee == "" {
		callee = claims.Destination
	}
	if callee == "" {
		return dialRequest{}, fmt.Errorf("%w: no callee", ErrForbidden)
	}
	dest, err := g.cfg.Policy.Check(g.cfg.Class, callee)
	if err != nil {
		return dialRequest{}, fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	from := d.From
	if from == "" {
		from, err = visitorIdentity(claims.Subject)
		if err != nil {
			return dialRequest{}, err
		}
	}
	proxy := d.Proxy
	if proxy == "" {
		proxy = g.cfg.Proxy
	}
	return dialRequest{Target: dest.String(), From: from, Proxy: proxy, Username: d.SIPLogin, Password: d.SIPPassword}, nil
}

// visitorIdentity is the token's subject when it is a SIP URI, else a
// fresh anonymous identity.
func visitorIdentity(subject string) (string, error) {
	if strings.HasPrefix(subject, "sip:") || strings.HasPrefix(subject, "sips:") {
		return "<" + subject + ">", nil
	}
	id, err := anon.NewIdentity("")
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (g *Gateway) servePost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	origin := r.Header.Get("Origin")
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/sdp" {
		g.fail(w, r, ErrUnsupportedMedia)
		return
	}
	if err := g.checkOrigin(ctx, r, origin); err != nil {
		g.fail(w, r, err)
		return
	}
	// From here on the page is allowed to read our answers, errors
	// included, so it can tell 401 from 429.
	g.cors(w, origin)
	claims, err := g.openToken(ctx, r, origin)
	if err != nil {
		g.fail(w, r, err)
		return
	}
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if closed {
		g.fail(w, r, ErrClosed)
		return
	}
	client := token.RemoteIP(r)
	if err := g.adm.acquire(origin, client); err != nil {
		g.fail(w, r, err)
		return
	}
	c, answer, err := g.admit(ctx, r, origin, client, claims)
	if err != nil {
		g.adm.release(origin, client)
		g.fail(w, r, err)
		return
	}
	g.linkHeaders(w, c.id)
	loc := strings.TrimSuffix(r.URL.Path, "/") + "/" + c.id
	w.Header().Set("Location", loc)
	w.Header().Set("Content-Type", "application/sdp")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// admit reads the offer, decides the call, answers with pion (or the lite
// engine, Config.ICELite) and starts the SIP leg. On error nothing is left
// running and the slot is the caller's to release.
func (g *Gateway) admit(ctx context.Context, r *http.Request, origin, client string, claims token.Claims) (*call, string, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, g.cfg.MaxOfferSize))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	offer := string(body)
	codecPT, err := pickCodec(offer)
	if err != nil {
		return nil, "", err
	}
	id := randID()
	req, err := g.decide(ctx, r, id, origin, claims)
	if err != nil {
		return nil, "", err
	}
	rl, err := newRelay(g.cfg.RTPAddr, g.cfg.RTPPortMin, g.cfg.RTPPortMax, g.cfg.Now, g.sipShared)
	if err != nil {
		return nil, "", err
	}
	rl.sipCodecPT = codecPT
	rl.latchAny = g.cfg.LatchAnyAddress
	c := &call{g: g, id: id, origin: origin, client: client, relay: rl, finished: make(chan struct{}),
		dcOpen: make(chan struct{}), pcGone: make(chan struct{}),
		log: g.cfg.Logger.With("call", id)}
	rl.log = c.log
	c.ctx, c.cancel = context.WithCancel(g.ctx)
	var answer string
	if g.cfg.ICELite {
		answer, err = g.answerLite(c, offer, codecPT)
	} else {
		answer, err = g.answer(ctx, c, offer, codecPT)
	}
	if err != nil {
		c.cancel()
		rl.close()
		return nil, "", err
	}
	req.SDP = buildSIPOffer(g.cfg.RTPAddr, rl.localPort(), codecPT, uint64(time.Now().UnixNano()))
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		c.closePage()
		rl.close()
		c.cancel()
		return nil, "", ErrClosed
	}
	g.calls[id] = c
	g.mu.Unlock()
	c.startTimers()
	rl.start()
	if c.lite != nil {
		c.lite.start(c)
	}
	go c.run(req)
	c.log.Info("webrtc: call admitted", "origin", origin, "target", req.Target)
	return c, answer, nil
}

// answer creates the peer connection and returns the complete answer
// (ICE gathering finished: the gateway does not trickle).
func (g *Gateway) answer(ctx context.Context, c *call, offer string, codecPT uint8) (string, error) {
	api, err := newAPI(g.se, codecPT)
	if err != nil {
		return "", err
	}
	pc, err := api.NewPeerConnection(pionwebrtc.Configuration{})
	if err != nil {
		return "", err
	}
	c.pc = pc
	fail := func(err error) (string, error) {
		_ = pc.Close()
		return "", err
	}
	if err := pc.SetRemoteDescription(pionwebrtc.SessionDescription{Type: pionwebrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	if _, err := pc.AddTrack(&sipTrack{r: c.relay}); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	// Callbacks are set before SetLocalDescription starts ICE, so no
	// track or data channel is missed.
	c.pcHooks()
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	gathered := pionwebrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(fmt.Errorf("%w: %v", ErrBadOffer, err))
	}
	timer := time.NewTimer(g.cfg.GatherTimeout)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if c.relay.pageCodecPT == ptNone {
		return fail(fmt.Errorf("%w: audio not negotiated", ErrBadOffer))
	}
	return pc.LocalDescription().SDP, nil
}
