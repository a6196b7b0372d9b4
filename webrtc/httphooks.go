package webrtc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// DefaultHookTimeout bounds each HTTPHooks request when Timeout is zero.
const DefaultHookTimeout = 3 * time.Second

// HTTPHooks is a [ConnectHook] and [CallHook] that asks an external HTTP
// backend, the way Flashphoner's REST hooks do (reference 002): it POSTs
// JSON to BaseURL+"/connect" and BaseURL+"/call" and reads the decision
// from the JSON answer, using the same field names (callee, sipLogin,
// sipAuthenticationName, sipPassword, sipDomain, sipOutboundProxy,
// sipPort).
//
// A 2xx answer allows, any other status refuses (403 to the page). What the
// page asked for is sent as pageCallee and pageSipLogin, never under the
// names the backend answers with, so a backend that echoes its input back
// (as reference 002's sample does) cannot hand the page's choice back as
// its own: only what the backend itself sets is used (OVERWRITE).
//
// When the backend cannot be reached, times out or answers garbage, the
// call is refused with 503 unless ContinueOnError is set; then Connect
// allows (Config.Origins, if set, has already been checked) and Call uses
// Fallback, and the failure is logged. A backend's explicit refusal (a
// non-2xx, non-5xx status) is never overridden.
type HTTPHooks struct {
	// BaseURL is the backend's base, e.g. "https://backend.internal/hooks".
	// Required.
	BaseURL string
	// Client makes the requests. If nil, a client with no redirects.
	Client *http.Client
	// Header is added to every request (e.g. a shared-secret
	// Authorization). If nil, none.
	Header http.Header
	// Timeout bounds each request. If zero, DefaultHookTimeout.
	Timeout time.Duration
	// ContinueOnError continues on backend failure instead of refusing.
	ContinueOnError bool
	// Fallback is the decision used by Call when ContinueOnError applies.
	// If its Callee is empty, the token's Destination is used.
	Fallback CallDecision
	// Logger receives backend failures. If nil, slog.Default().
	Logger *slog.Logger
}

var (
	_ ConnectHook = (*HTTPHooks)(nil)
	_ CallHook    = (*HTTPHooks)(nil)
)

// maxHookResponse caps the backend's answer.
const maxHookResponse = 64 << 10

// HookRequest is the JSON body HTTPHooks POSTs to /connect and /call
// (reference 002's names where they exist). Go backends can decode it
// directly.
type HookRequest struct {
	// SessionID is the gateway's call ID (only on /call).
	SessionID  string `json:"sessionId,omitempty"`
	Origin     string `json:"origin"`
	ClientAddr string `json:"clientAddr,omitempty"`
	UserAgent  string `json:"userAgent,omitempty"`
	// Subject and Destination come from the sealed call token.
	Subject     string `json:"subject,omitempty"`
	Destination string `json:"destination,omitempty"`
	// PageCallee and PageSIPLogin are what the page asked for: untrusted,
	// for the backend's logs, and never read back as a decision.
	PageCallee   string `json:"pageCallee,omitempty"`
	PageSIPLogin string `json:"pageSipLogin,omitempty"`
}

// HookResponse is the backend's JSON answer to /call, with reference 002's
// field names. Only what the backend sets here is used (OVERWRITE).
type HookResponse struct {
	// Callee is a SIP or tel URI, or a bare user/number put into SIPDomain.
	Callee string `json:"callee,omitempty"`
	// Caller, if set, is the SIP From to use.
	Caller   string `json:"caller,omitempty"`
	SIPLogin string `json:"sipLogin,omitempty"`
	// SIPAuthenticationName, if set, is the digest username instead of
	// SIPLogin.
	SIPAuthenticationName string `json:"sipAuthenticationName,omitempty"`
	SIPPassword           string `json:"sipPassword,omitempty"`
	SIPDomain             string `json:"sipDomain,omitempty"`
	SIPOutboundProxy      string `json:"sipOutboundProxy,omitempty"`
	// SIPPort is appended to SIPOutboundProxy when that has no port;
	// backends send it as a JSON number or string.
	SIPPort json.Number `json:"sipPort,omitempty"`
}

// Decision turns the backend's answer into the call decision: a bare
// callee goes into SIPDomain, SIPAuthenticationName wins over SIPLogin,
// and SIPPort completes a proxy given without a port.
func (r HookResponse) Decision() CallDecision {
	d := CallDecision{Callee: strings.TrimSpace(r.Callee), From: r.Caller, SIPLogin: r.SIPAuthenticationName, SIPPassword: r.SIPPassword}
	if d.SIPLogin == "" {
		d.SIPLogin = r.SIPLogin
	}
	if d.Callee != "" && !strings.Contains(d.Callee, ":") && r.SIPDomain != "" {
		d.Callee = "sip:" + d.Callee + "@" + r.SIPDomain
	}
	if r.SIPOutboundProxy != "" {
		d.Proxy = r.SIPOutboundProxy
		if _, _, err := net.SplitHostPort(d.Proxy); err != nil && r.SIPPort != "" {
			d.Proxy = net.JoinHostPort(d.Proxy, r.SIPPort.String())
		}
	}
	return d
}

// Connect asks BaseURL/connect.
func (h *HTTPHooks) Connect(ctx context.Context, r ConnectRequest) error {
	req := HookRequest{Origin: r.Origin, UserAgent: r.UserAgent}
	if r.ClientAddr.IsValid() {
		req.ClientAddr = r.ClientAddr.String()
	}
	_, err := h.post(ctx, "/connect", req)
	if err != nil && h.ContinueOnError && !isRefusal(err) {
		h.logger().Warn("webrtc: connect hook failed, continuing", "err", err)
		return nil
	}
	return err
}

// Call asks BaseURL/call.
func (h *HTTPHooks) Call(ctx context.Context, r CallRequest) (CallDecision, error) {
	req := HookRequest{SessionID: r.CallID, Origin: r.Origin, Subject: r.Subject, Destination: r.Destination,
		PageCallee: r.PageCallee, PageSIPLogin: r.PageLogin}
	if r.ClientAddr.IsValid() {
		req.ClientAddr = r.ClientAddr.String()
	}
	res, err := h.post(ctx, "/call", req)
	if err != nil {
		if h.ContinueOnError && !isRefusal(err) {
			h.logger().Warn("webrtc: call hook failed, continuing with fallback", "call", r.CallID, "err", err)
			return h.Fallback, nil
		}
		return CallDecision{}, err
	}
	return res.Decision(), nil
}

func isRefusal(err error) bool { return !errors.Is(err, ErrHookBackend) }

func (h *HTTPHooks) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *HTTPHooks) post(ctx context.Context, path string, body HookRequest) (HookResponse, error) {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = DefaultHookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(h.BaseURL, "/")+path, bytes.NewReader(b))
	if err != nil {
		return HookResponse{}, fmt.Errorf("%w: %v", ErrHookBackend, err)
	}
	for k, v := range h.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	client := h.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := client.Do(req)
	if err != nil {
		return HookResponse{}, fmt.Errorf("%w: %v", ErrHookBackend, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHookResponse+1))
	switch {
	case err != nil:
		return HookResponse{}, fmt.Errorf("%w: %s: %v", ErrHookBackend, path, err)
	case resp.StatusCode >= 500:
		return HookResponse{}, fmt.Errorf("%w: %s answered %d", ErrHookBackend, path, resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		if path == "/connect" {
			return HookResponse{}, fmt.Errorf("%w: backend answered %d", ErrForbiddenOrigin, resp.StatusCode)
		}
		return HookResponse{}, fmt.Errorf("%w: backend answered %d", ErrForbidden, resp.StatusCode)
	case len(raw) > maxHookResponse:
		return HookResponse{}, fmt.Errorf("%w: %s answer too large", ErrHookBackend, path)
	}
	var res HookResponse
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return HookResponse{}, fmt.Errorf("%w: %s: bad json: %v", ErrHookBackend, path, err)
		}
	}
	return res, nil
}
