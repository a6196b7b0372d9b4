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

// hookRequest is what the backend receives (reference 002 names where
// they exist).
type hookRequest struct {
	SessionID    string `json:"sessionId,omitempty"`
	Origin       string `json:"origin"`
	ClientAddr   string `json:"clientAddr,omitempty"`
	UserAgent    string `json:"userAgent,omitempty"`
	Subject      string `json:"subject,omitempty"`
	Destination  string `json:"destination,omitempty"`
	PageCallee   string `json:"pageCallee,omitempty"`
	PageSIPLogin string `json:"pageSipLogin,omitempty"`
}

// hookResponse is the backend's decision.
type hookResponse struct {
	Callee                string          `json:"callee"`
	Caller                string          `json:"caller"`
	SIPLogin              string          `json:"sipLogin"`
	SIPAuthenticationName string          `json:"sipAuthenticationName"`
	SIPPassword           string          `json:"sipPassword"`
	SIPDomain             string          `json:"sipDomain"`
	SIPOutboundProxy      string          `json:"sipOutboundProxy"`
	SIPPort               json.RawMessage `json:"sipPort"`
}

// Connect asks BaseURL/connect.
func (h *HTTPHooks) Connect(ctx context.Context, r ConnectRequest) error {
	req := hookRequest{Origin: r.Origin, UserAgent: r.UserAgent}
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
	req := hookRequest{SessionID: r.CallID, Origin: r.Origin, Subject: r.Subject, Destination: r.Destination,
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
	d := CallDecision{Callee: res.Callee, From: res.Caller, SIPLogin: res.SIPAuthenticationName, SIPPassword: res.SIPPassword}
	if d.SIPLogin == "" {
		d.SIPLogin = res.SIPLogin
	}
	if d.Callee != "" && !strings.Contains(d.Callee, ":") && res.SIPDomain != "" {
		d.Callee = "sip:" + d.Callee + "@" + res.SIPDomain
	}
	if res.SIPOutboundProxy != "" {
		d.Proxy = res.SIPOutboundProxy
		port := strings.Trim(string(res.SIPPort), `"`)
		if _, _, err := net.SplitHostPort(d.Proxy); err != nil && port != "" && port != "null" {
			d.Proxy = net.JoinHostPort(d.Proxy, port)
		}
	}
	return d, nil
}

func isRefusal(err error) bool { return !errors.Is(err, ErrHookBackend) }

func (h *HTTPHooks) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

func (h *HTTPHooks) post(ctx context.Context, path string, body hookRequest) (hookResponse, error) {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = DefaultHookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(h.BaseURL, "/")+path, bytes.NewReader(b))
	if err != nil {
		return hookResponse{}, fmt.Errorf("%w: %v", ErrHookBackend, err)
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
		return hookResponse{}, fmt.Errorf("%w: %v", ErrHookBackend, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHookResponse+1))
	switch {
	case err != nil:
		return hookResponse{}, fmt.Errorf("%w: %s: %v", ErrHookBackend, path, err)
	case resp.StatusCode >= 500:
		return hookResponse{}, fmt.Errorf("%w: %s answered %d", ErrHookBackend, path, resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		if path == "/connect" {
			return hookResponse{}, fmt.Errorf("%w: backend answered %d", ErrForbiddenOrigin, resp.StatusCode)
		}
		return hookResponse{}, fmt.Errorf("%w: backend answered %d", ErrForbidden, resp.StatusCode)
	case len(raw) > maxHookResponse:
		return hookResponse{}, fmt.Errorf("%w: %s answer too large", ErrHookBackend, path)
	}
	var res hookResponse
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &res); err != nil {
			return hookResponse{}, fmt.Errorf("%w: %s: bad json: %v", ErrHookBackend, path, err)
		}
	}
	return res, nil
}
