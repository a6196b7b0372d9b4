package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/webdial/webdial/examples/internal/hookwire"
	"github.com/webdial/webdial/webrtc"
)

// httpHooks asks a REST hook backend (examples/resthook, or your own in
// any language) whether a page may connect and what its call reaches. It
// implements webrtc.ConnectHook and webrtc.CallHook.
type httpHooks struct {
	base   string
	client *http.Client
}

var (
	_ webrtc.ConnectHook = (*httpHooks)(nil)
	_ webrtc.CallHook    = (*httpHooks)(nil)
)

func newHTTPHooks(base string) (*httpHooks, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("-hooks %q: want an http(s) base URL", base)
	}
	return &httpHooks{
		base: strings.TrimSuffix(base, "/"),
		// The hook sits on the call's critical path: fail fast, and never
		// follow redirects to somewhere else with the call's details.
		client: &http.Client{
			Timeout:       5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

func (h *httpHooks) Connect(ctx context.Context, r webrtc.ConnectRequest) error {
	req := hookwire.Connect{Origin: r.Origin, UserAgent: r.UserAgent}
	if r.ClientAddr.IsValid() {
		req.ClientAddr = r.ClientAddr.String()
	}
	return h.post(ctx, "/connect", req, nil)
}

func (h *httpHooks) Call(ctx context.Context, r webrtc.CallRequest) (webrtc.CallDecision, error) {
	req := hookwire.Call{CallID: r.CallID, Origin: r.Origin, Caller: r.Subject, Callee: r.Destination}
	if r.ClientAddr.IsValid() {
		req.ClientAddr = r.ClientAddr.String()
	}
	// What the page put in the query string is passed on for the backend's
	// logs only; the page's password never leaves the gateway.
	if r.PageCallee != "" {
		req.Callee = r.PageCallee
	}
	var res hookwire.Call
	if err := h.post(ctx, "/call", req, &res); err != nil {
		return webrtc.CallDecision{}, err
	}
	callee := res.CalleeURI()
	if callee == "" {
		return webrtc.CallDecision{}, fmt.Errorf("%w: hook answered no usable callee", webrtc.ErrForbidden)
	}
	return webrtc.CallDecision{
		Callee: callee, From: res.From,
		SIPLogin: res.AuthUser(), SIPPassword: res.SIPPassword,
		Proxy: res.Proxy(),
	}, nil
}

// post sends one hook request. 403 (and any 4xx) refuses the page or call;
// anything else that is not 200 is a backend failure.
func (h *httpHooks) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := h.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", webrtc.ErrHookBackend, path, err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusOK:
	case res.StatusCode >= 400 && res.StatusCode < 500:
		return fmt.Errorf("%w: hook %s answered %d", webrtc.ErrForbidden, path, res.StatusCode)
	default:
		return fmt.Errorf("%w: hook %s answered %d", webrtc.ErrHookBackend, path, res.StatusCode)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, hookwire.MaxBody)).Decode(out); err != nil {
		return fmt.Errorf("%w: hook %s: bad json: %w", webrtc.ErrHookBackend, path, err)
	}
	return nil
}
