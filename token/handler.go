package token

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// DefaultTURNTTL is how long TURN credentials last when Handler.TURNTTL is
// zero. coturn checks the expiry on every allocation refresh, so it must
// cover the longest call.
const DefaultTURNTTL = time.Hour

// maxHookBody bounds what an Authorize hook can read from the request.
const maxHookBody = 4096

// IssueResponse is the JSON body of a successful token request.
// ICEServers can be passed straight to RTCPeerConnection's iceServers.
type IssueResponse struct {
	Token      string      `json:"token"`
	ExpiresAt  time.Time   `json:"expiresAt"`
	ICEServers []ICEServer `json:"iceServers,omitempty"`
}

// Handler issues call tokens to pages on allowed origins. It answers:
//
//   - OPTIONS from an allowed origin asking for POST: 204 with CORS headers
//     naming that exact origin (never "*", never credentials);
//   - POST from an allowed origin: 200 with an [IssueResponse];
//   - any other method: 405 with Allow; a missing, "null" or unlisted
//     Origin: 403; a client over its rate: 429; a refusing Authorize: 403.
//
// Every response carries Cache-Control: no-store. The response never
// contains SIP credentials or the Destination; the server resolves those
// when the token comes back.
//
// The Origin header proves nothing against a non-browser client, which can
// send any value: it stops other sites' pages from obtaining tokens for
// their visitors. Rate limits and short lifetimes bound the rest.
type Handler struct {
	// Sealer seals the tokens. Required: if nil, POST answers 500.
	Sealer *Sealer
	// Origins is the allow-list. If nil, every request is refused (403).
	// The token's Audience is set to the request's normalised origin.
	Origins *Origins
	// NewSubject makes the Subject of each token. If nil, Subject is
	// "anonymous-" followed by 32 random hex digits. This package cannot
	// import webdial's anon package; webrtc/ and the examples wire it in:
	//
	//	NewSubject: func() (string, error) {
	//		id, err := anon.NewIdentity("")
	//		return id.URI(), err
	//	},
	NewSubject func() (string, error)
	// Destination is the Destination of every token unless Authorize
	// changes it. If empty, tokens carry no destination and the server
	// must pick one.
	Destination string
	// Authorize, if set, may refuse the request (any error: 403) or adjust
	// the claims, typically Subject and Destination, after method, origin
	// and rate checks passed. The request body is limited to 4 KiB. It
	// must not copy page-supplied data into Destination unchecked.
	Authorize func(r *http.Request, c *Claims) error
	// ICEServers are returned as they are (e.g. STUN servers). If nil, none.
	ICEServers []ICEServer
	// TURNSecret, if set, adds an ICEServer for TURNURLs with
	// [TURNCredentials] for the token ID, valid for TURNTTL.
	TURNSecret []byte
	// TURNURLs are the TURN server URLs ("turn:host:3478?transport=udp").
	TURNURLs []string
	// TURNTTL is the TURN credential lifetime. If zero, DefaultTURNTTL.
	TURNTTL time.Duration
	// Limiter, if set, limits tokens per client (429 over the limit).
	// If nil there is no rate limit; [NewMemoryLimiter] makes one.
	Limiter Limiter
	// ClientKey names the client for Limiter. If nil, [RemoteIP].
	ClientKey func(*http.Request) string
	// Logger receives one line per refused request (no tokens, no
	// secrets). If nil, nothing is logged.
	Logger *slog.Logger
	// Now is the clock for TURN credentials. If nil, time.Now.
	Now func() time.Time
}

var _ http.Handler = (*Handler)(nil)

// ServeHTTP implements [http.Handler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Origin")

	if r.Method != http.MethodPost && r.Method != http.MethodOptions {
		hdr.Set("Allow", "POST, OPTIONS")
		h.refuse(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	origin := r.Header.Get("Origin")
	if len(r.Header.Values("Origin")) != 1 || !h.Origins.Allowed(origin) {
		h.refuse(w, r, http.StatusForbidden, "origin not allowed")
		return
	}
	if r.Method == http.MethodOptions {
		h.preflight(w, r, origin)
		return
	}
	hdr.Set("Access-Control-Allow-Origin", origin)
	if h.Limiter != nil {
		key := RemoteIP
		if h.ClientKey != nil {
			key = h.ClientKey
		}
		if !h.Limiter.Allow(key(r)) {
			hdr.Set("Retry-After", "60")
			h.refuse(w, r, http.StatusTooManyRequests, "rate limited")
			return
		}
	}
	resp, status, err := h.issue(w, r, origin)
	if err != nil {
		h.refuse(w, r, status, err.Error())
		return
	}
	body, err := json.Marshal(resp)
	if err != nil {
		h.refuse(w, r, http.StatusInternalServerError, "encoding response")
		return
	}
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (h *Handler) preflight(w http.ResponseWriter, r *http.Request, origin string) {
	if r.Header.Get("Access-Control-Request-Method") != http.MethodPost {
		h.refuse(w, r, http.StatusForbidden, "preflight for a method other than POST")
		return
	}
	hdr := w.Header()
	hdr.Add("Vary", "Access-Control-Request-Method")
	hdr.Add("Vary", "Access-Control-Request-Headers")
	hdr.Set("Access-Control-Allow-Origin", origin)
	hdr.Set("Access-Control-Allow-Methods", "POST")
	hdr.Set("Access-Control-Allow-Headers", "Content-Type")
	hdr.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) issue(w http.ResponseWriter, r *http.Request, origin string) (IssueResponse, int, error) {
	if h.Sealer == nil {
		return IssueResponse{}, http.StatusInternalServerError, fmt.Errorf("%w: no sealer", ErrConfig)
	}
	// Allowed accepted it, so it parses; use the normalised form.
	aud, _ := ParseOrigin(origin)
	c := Claims{Audience: aud, Destination: h.Destination}
	var err error
	if h.NewSubject != nil {
		c.Subject, err = h.NewSubject()
	} else {
		c.Subject, err = randomSubject()
	}
	if err != nil {
		return IssueResponse{}, http.StatusInternalServerError, fmt.Errorf("making subject: %w", err)
	}
	if h.Authorize != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxHookBody)
		if err := h.Authorize(r, &c); err != nil {
			return IssueResponse{}, http.StatusForbidden, fmt.Errorf("refused by authorize hook: %w", err)
		}
		c.Audience = aud // the hook may not redirect a token to another origin
	}
	tok, sealed, err := h.Sealer.SealClaims(c)
	if err != nil {
		return IssueResponse{}, http.StatusInternalServerError, err
	}
	resp := IssueResponse{Token: tok, ExpiresAt: sealed.Expiry.UTC()}
	resp.ICEServers = append(resp.ICEServers, h.ICEServers...)
	if len(h.TURNSecret) > 0 && len(h.TURNURLs) > 0 {
		now := time.Now
		if h.Now != nil {
			now = h.Now
		}
		ttl := h.TURNTTL
		if ttl <= 0 {
			ttl = DefaultTURNTTL
		}
		resp.ICEServers = append(resp.ICEServers, TURNCredentials(h.TURNSecret, sealed.ID, ttl, now(), h.TURNURLs...))
	}
	return resp, http.StatusOK, nil
}

// refuse answers with a generic text body; the detail goes to the log only.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if h.Logger != nil {
		h.Logger.LogAttrs(r.Context(), slog.LevelInfo, "token request refused",
			slog.Int("status", status), slog.String("reason", detail),
			slog.String("method", r.Method), slog.String("origin", truncate(r.Header.Get("Origin"))))
	}
	http.Error(w, http.StatusText(status), status)
}

func randomSubject() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "anonymous-" + hex.EncodeToString(b[:]), nil
}
