package hookwire

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/webdial/webdial/token"
)

// Backend answers the gateway's /connect and /call hooks the way
// examples/resthook does: an exact origin allow-list, and a fixed
// Decision that OVERWRITES whatever the page wanted.
type Backend struct {
	// Origins is the exact allow-list of page origins. If nil, every
	// request is refused.
	Origins *token.Origins
	// Decision is the answer to every allowed /call.
	Decision Decision
	// Logger receives one line per hook request, never the password. If
	// nil, nothing is logged.
	Logger *slog.Logger
}

// Handler serves POST /connect and POST /call.
func (b *Backend) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /connect", b.connect)
	mux.HandleFunc("POST /call", b.call)
	return mux
}

func (b *Backend) log() *slog.Logger {
	if b.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return b.Logger
}

func (b *Backend) connect(w http.ResponseWriter, r *http.Request) {
	var req Request
	if !decode(w, r, &req) {
		return
	}
	if !b.Origins.Allowed(req.Origin) {
		b.log().Warn("connect refused", "origin", req.Origin, "client", req.ClientAddr)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed"})
		return
	}
	b.log().Info("connect allowed", "origin", req.Origin, "client", req.ClientAddr)
	writeJSON(w, http.StatusOK, struct{}{})
}

func (b *Backend) call(w http.ResponseWriter, r *http.Request) {
	var req Request
	if !decode(w, r, &req) {
		return
	}
	// Checked again here: a backend must not assume /connect was asked.
	if !b.Origins.Allowed(req.Origin) {
		b.log().Warn("call refused", "origin", req.Origin, "session", req.SessionID)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "origin not allowed"})
		return
	}
	d := b.Decision.Decision()
	// What the page asked for is logged as evidence of what pages try,
	// and ignored; the password is never logged.
	b.log().Info("call overwritten", "origin", req.Origin, "session", req.SessionID,
		"page_callee", req.PageCallee, "page_sip_login", req.PageSIPLogin, "token_destination", req.Destination,
		"callee", d.Callee, "sip_login", d.SIPLogin, "has_password", d.SIPPassword != "")
	writeJSON(w, http.StatusOK, b.Decision)
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
