package main

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/webdial/webdial/examples/internal/hookwire"
	"github.com/webdial/webdial/token"
)

// hooks answers the gateway's /connect and /call hooks.
type hooks struct {
	// origins is the exact allow-list of page origins.
	origins *token.Origins
	// overwrite holds the callee and SIP settings that replace whatever
	// the page or gateway sent (reference 002's OVERWRITE policy).
	overwrite hookwire.Call
	log       *slog.Logger
}

func (h *hooks) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect", h.connect)
	mux.HandleFunc("POST /call", h.call)
	return mux
}

func (h *hooks) connect(w http.ResponseWriter, r *http.Request) {
	var req hookwire.Connect
	if !decode(w, r, &req) {
		return
	}
	if !h.origins.Allowed(req.Origin) {
		h.log.Warn("connect refused", "origin", req.Origin, "session", req.SessionID, "client", req.ClientAddr)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed"})
		return
	}
	h.log.Info("connect allowed", "origin", req.Origin, "session", req.SessionID, "client", req.ClientAddr)
	writeJSON(w, http.StatusOK, req)
}

func (h *hooks) call(w http.ResponseWriter, r *http.Request) {
	var req hookwire.Call
	if !decode(w, r, &req) {
		return
	}
	// Checked again here: a backend must not assume /connect was asked.
	if !h.origins.Allowed(req.Origin) {
		h.log.Warn("call refused", "origin", req.Origin, "call", req.CallID)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed"})
		return
	}
	res := req
	o := h.overwrite
	res.Callee = o.Callee
	res.From = o.From
	res.SIPLogin, res.SIPAuthenticationName, res.SIPPassword = o.SIPLogin, o.SIPAuthenticationName, o.SIPPassword
	res.SIPDomain, res.SIPOutboundProxy, res.SIPPort = o.SIPDomain, o.SIPOutboundProxy, o.SIPPort
	// The password is never logged; the asked-for callee is, as evidence
	// of what pages try.
	h.log.Info("call overwritten", "origin", req.Origin, "call", req.CallID, "asked", req.Callee,
		"callee", res.CalleeURI(), "sip_login", res.SIPLogin, "has_password", res.SIPPassword != "")
	writeJSON(w, http.StatusOK, res)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, hookwire.MaxBody))
	if err := dec.Decode(v); err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, status, map[string]string{"error": "bad json"})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
