package server

import (
	"errors"
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// Authentication of HTTP callers: who is calling, and refusing to serve
// without knowing.

// authenticate returns the request with the caller's identity in its
// context, or answers 401 and returns nil.
func (h *httpHandler) authenticate(w http.ResponseWriter, r *http.Request) *http.Request {
	if h.o.Auth == nil {
		if h.o.NoAuth {
			if h.o.NoAuthIdentity != "" {
				return r.WithContext(auth.WithIdentity(r.Context(), h.o.NoAuthIdentity))
			}
			return r
		}
		h.unauthorized(w, r, "no authentication configured", false)
		return nil
	}
	id, grant, err := auth.Identify(h.o.Auth, r)
	if err != nil {
		if errors.Is(err, auth.ErrNoCredentials) {
			h.unauthorized(w, r, "missing credentials", false)
		} else {
			h.unauthorized(w, r, err.Error(), true)
		}
		return nil
	}
	return r.WithContext(auth.WithGrant(auth.WithIdentity(r.Context(), id), grant))
}

func (h *httpHandler) unauthorized(w http.ResponseWriter, r *http.Request, reason string, presented bool) {
	label := "missing"
	if presented {
		label = "invalid"
	}
	challenge := h.challenge(presented)
	h.o.Metrics.unauthorized(label)
	h.log.Info("unauthorized request", zap.String("path", r.URL.Path), zap.String("remote", r.RemoteAddr), zap.String("reason", reason))
	w.Header().Set("WWW-Authenticate", challenge)
	http.Error(w, "Unauthorized: "+reason, http.StatusUnauthorized)
}

// checkAuthConfig refuses to serve without authentication except on loopback.
func checkAuthConfig(o HTTPOptions, addr string) error {
	if o.Auth != nil {
		return nil
	}
	if !o.NoAuth {
		return errors.New("no authentication is configured for HTTP: set --auth-file, --jwt-public-key or --jwks-url, or --trusted-header; or --no-auth on a loopback --listen address")
	}
	if !isLoopback(addr) {
		return fmt.Errorf("--no-auth is allowed only when --listen is a loopback address such as 127.0.0.1:8080, not %q: anyone who can reach the port could act on Tableau", addr)
	}
	return nil
}
