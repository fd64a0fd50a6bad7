package server

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Origin and Host checks: which browser pages and which host names may reach
// the MCP endpoint.

// hostAllowed is the DNS-rebinding protection.
func (h *httpHandler) hostAllowed(r *http.Request) bool {
	if len(h.o.AllowedHosts) > 0 {
		name := hostname(r.Host)
		for _, a := range h.o.AllowedHosts {
			a = strings.TrimSpace(a)
			if strings.EqualFold(a, r.Host) || (!strings.Contains(strings.TrimPrefix(a, "["), ":") && strings.EqualFold(a, name)) {
				return true
			}
		}
		return false
	}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && isLoopback(la.String()) {
		return isLoopback(r.Host)
	}
	return true
}

func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// isLoopback reports whether a host or host:port names the loopback interface.
func isLoopback(hostport string) bool {
	h := hostname(hostport)
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// originAllowed: an origin listed in --allowed-origins; and on a loopback
// listener, any page served from the loopback interface itself
// (http or https, localhost, 127.0.0.1 or [::1], any port), since only
// the local user's own pages can have such an origin.
func (h *httpHandler) originAllowed(r *http.Request, origin string) bool {
	if h.origins[strings.ToLower(strings.TrimRight(origin, "/"))] {
		return true
	}
	la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || !isLoopback(la.String()) {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return false
	}
	return isLoopback(u.Host)
}

func corsHeaders(hd http.Header, origin string) {
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Add("Vary", "Origin")
	hd.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate")
}

// checkOrigin refuses a request from an Origin not configured and answers
// CORS preflights; done reports that the answer has been written.
func (h *httpHandler) checkOrigin(w http.ResponseWriter, r *http.Request) (origin string, done bool) {
	origin = r.Header.Get("Origin")
	if origin != "" && !h.originAllowed(r, origin) {
		http.Error(w, "Forbidden: requests from this Origin are not allowed (see --allowed-origins)", http.StatusForbidden)
		return origin, true
	}
	if origin != "" && r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		corsHeaders(w.Header(), origin)
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID")
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return origin, true
	}
	return origin, false
}
