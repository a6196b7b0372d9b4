package digest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
)

// maxAuthIntBody caps the request body Require reads for qop=auth-int.
const maxAuthIntBody = 1 << 20

type usernameKey struct{}

// UsernameFromContext returns the user name that [Server.Require]
// authenticated.
func UsernameFromContext(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(usernameKey{}).(string)
	return u, ok
}

// Require returns a handler that serves next only for requests with valid
// Digest credentials, and otherwise answers 401 with one WWW-Authenticate
// line per offered algorithm (stale=true after ErrStale or ErrReplay), or
// 400 for a malformed Authorization header. Unknown users and wrong
// passwords get identical answers. The authenticated user name reaches
// next through [UsernameFromContext].
func (s *Server) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, URI: r.RequestURI}
		if vs := r.Header.Values("Authorization"); len(vs) == 1 {
			req.Authorization = vs[0] // the common case: parse it once, in Verify
		} else {
			req.Authorization = SelectCredentials(vs, s.realm)
		}
		if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
			req.ClientAddr = ap.Addr().Unmap()
		}
		if req.Authorization == "" && len(r.Header.Values("Authorization")) > 0 {
			// Present but not ours (other scheme or realm): parse the
			// first one so a malformed header gets its 400.
			req.Authorization = r.Header.Get("Authorization")
		}
		if req.Authorization != "" && slices.Contains(s.qop, "auth-int") && r.Body != nil {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAuthIntBody))
			if err != nil {
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			req.Body = body
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		user, err := s.Verify(r.Context(), req)
		switch {
		case err == nil:
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), usernameKey{}, user)))
		case errors.Is(err, ErrMalformed):
			http.Error(w, "malformed Authorization header", http.StatusBadRequest)
		case isAuthFailure(err):
			stale := errors.Is(err, ErrStale) || errors.Is(err, ErrReplay)
			for _, c := range s.Challenges(stale, req.ClientAddr) {
				w.Header().Add("WWW-Authenticate", c)
			}
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
		default:
			s.log.LogAttrs(r.Context(), slog.LevelError, "digest: verification error", slog.String("err", err.Error()))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	})
}

func isAuthFailure(err error) bool {
	for _, e := range []error{ErrNoCredentials, ErrBadCredentials, ErrInvalidNonce, ErrWrongRealm,
		ErrUnknownAlgorithm, ErrURIMismatch, ErrStale, ErrReplay} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
