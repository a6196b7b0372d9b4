package hookwire

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/webdial/webdial/token"
)

// Backend answers the gateway's /connect and /call hooks the way
// examples/resthook does: an exact origin allow-list, and OVERWRITE of the
// callee and SIP settings.
type Backend struct {
	// Origins is the exact allow-list of page origins. If nil, every
	// request is refused.
	Origins *token.Origins
	// Overwrite holds the callee and SIP settings that replace whatever
	// the page or gateway sent (reference 002's OVERWRITE policy). Only
	// Callee, From and the SIP* fields are used.
	Overwrite Call
	// Logger receives one line per hook request; never the password. If
	// nil, nothing is logged.
	Logger *slog.Logger
}

// Handler serves POST /connect and POST /call.
func (h *Backend) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect", h.connect)
	mux.HandleFunc("POST /call", h.call)
	return mux
}

func (h *Backend) log() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

func (h *Backend) connect(w http.ResponseWriter, r *http.Request) {
	var req Connect
	if !decode(w, r, &req) {
		return
	}
	if !h.Origins.Allowed(req.Origin) {
		h.log().Warn("connect refused", "origin", req.Origin, "session", req.SessionID, "client", req.ClientAddr)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed"})
		return
	}
	h.log().Info("connect allowed", "origin", req.Origin, "session", req.SessionID, "client", req.ClientAddr)
	writeJSON(w, http.StatusOK, req)
}

func (h *Backend) call(w http.ResponseWriter, r *http.Request) {
	var req Call
	if !decode(w, r, &req) {
		return
	}
	// Checked again here: a backend must not assume /connect was asked.
	if !h.Origins.Allowed(req.Origin) {
		h.log().Warn("call refused", "origin", req.Origin, "call", req.CallID)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed"})
		return
	}
	res := req
	o := h.Overwrite
	res.Callee = o.Callee
	res.From = o.From
	res.SIPLogin, res.SIPAuthenticationName, res.SIPPassword = o.SIPLogin, o.SIPAuthenticationName, o.SIPPassword
	res.SIPDomain, res.SIPOutboundProxy, res.SIPPort = o.SIPDomain, o.SIPOutboundProxy, o.SIPPort
	// The password is never logged; the asked-for callee is, as evidence
	// of what pages try.
	h.log().Info("call overwritten", "origin", req.Origin, "call", req.CallID, "asked", req.Callee,
		"callee", res.CalleeURI(), "sip_login", res.SIPLogin, "has_password", res.SIPPassword != "")
	writeJSON(w, http.StatusOK, res)
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
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
