package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// The server as an OAuth 2.1 protected resource (MCP authorization, RFC 9728):
// it tells clients where to sign in, and which scopes a call needs.

// OAuth scopes that decide which tools a caller may see and call, by kind.
const (
	ScopeRead   = "tableau:read"
	ScopeWrite  = "tableau:write"
	ScopeDelete = "tableau:delete"
)

// Scopes are the scopes this server understands, in the order published.
var Scopes = []string{ScopeRead, ScopeWrite, ScopeDelete}

// ScopeFor is the scope a tool of kind k needs.
func ScopeFor(k tools.Kind) string {
	switch k {
	case tools.Write:
		return ScopeWrite
	case tools.Destructive:
		return ScopeDelete
	}
	return ScopeRead
}

// grantAllows reports whether the caller of ctx may use a tool of kind k:
// callers whose credentials carry no scopes are not limited by them.
func grantAllows(ctx context.Context, k tools.Kind) bool {
	g, ok := auth.GrantFrom(ctx)
	return !ok || !g.Scoped || g.Has(ScopeFor(k))
}

// ProtectedResource describes the server to OAuth clients.
type ProtectedResource struct {
	// URL is the public URL of the MCP endpoint (https://host/mcp): the
	// resource identifier tokens must name in their audience.
	URL string
	// AuthorizationServers are the issuers clients may sign in with.
	AuthorizationServers []string
	// Name is shown to people by clients (resource_name).
	Name string
	// AdvertiseScope adds scope="tableau:read" to the 401 challenge, for
	// authorization servers that know the tableau:* scopes.
	AdvertiseScope bool
}

// metadataPath is where the metadata of the MCP endpoint at endpoint is
// published (the path-suffixed form of RFC 9728 §3.1).
const wellKnownPRM = "/.well-known/oauth-protected-resource"

// metadataURL is the absolute URL of the path-suffixed metadata document.
func (p *ProtectedResource) metadataURL() string {
	u, err := url.Parse(p.URL)
	if err != nil {
		return ""
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	return u.Scheme + "://" + u.Host + wellKnownPRM + path
}

// servesMetadata answers the metadata documents; it reports whether the
// request was for one.
func (h *httpHandler) servesMetadata(w http.ResponseWriter, r *http.Request) bool {
	p := h.o.Resource
	if p == nil || !strings.HasPrefix(r.URL.Path, wellKnownPRM) {
		return false
	}
	u, _ := url.Parse(p.URL)
	suffix := strings.TrimPrefix(r.URL.Path, wellKnownPRM)
	// The root document and the one suffixed with the MCP endpoint's path
	// both describe the one resource this server is; the root one is a
	// fallback for clients that try it first (the MCP specification allows
	// either), and naming the endpoint there keeps tokens' audience one value.
	if suffix != "" && suffix != strings.TrimSuffix(u.EscapedPath(), "/") {
		http.NotFound(w, r)
		return true
	}
	// Public, and read without credentials: any web origin may read it.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "MCP-Protocol-Version")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return true
	}
	doc := map[string]any{
		"resource":                 p.URL,
		"authorization_servers":    p.AuthorizationServers,
		"scopes_supported":         Scopes,
		"bearer_methods_supported": []string{"header"},
		"resource_name":            p.Name,
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_ = json.NewEncoder(w).Encode(doc)
	return true
}

// challenge is the WWW-Authenticate value of a 401: where the metadata is,
// and, for a token that was presented, why it is refused.
func (h *httpHandler) challenge(presented bool) string {
	p := h.o.Resource
	if p == nil {
		c := `Bearer realm="tableau-mcp"`
		if presented {
			c += `, error="invalid_token"`
		}
		return c
	}
	c := fmt.Sprintf(`Bearer resource_metadata=%q`, p.metadataURL())
	if p.AdvertiseScope {
		c += fmt.Sprintf(`, scope=%q`, ScopeRead)
	}
	if presented {
		c += `, error="invalid_token"`
	}
	return c
}

// stepUp answers 403 insufficient_scope to a tools/call of a tool the
// caller's token does not allow, so that the client can ask for more
// (RFC 6750 §3.1, the MCP specification's scope challenge). It reports
// whether it answered.
func (h *httpHandler) stepUp(w http.ResponseWriter, r *http.Request, body []byte) bool {
	g, ok := auth.GrantFrom(r.Context())
	if !ok || !g.Scoped {
		return false
	}
	var m struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil || m.Method != "tools/call" {
		return false
	}
	t, err := tools.ByName(m.Params.Name)
	if err != nil || (h.mcp != nil && h.mcp.GetTool(t.Name) == nil) {
		return false // tools not served get their answer from the server
	}
	need := ScopeFor(t.Kind)
	if g.Has(need) {
		return false
	}
	want := slices.Clone(g.Scopes)
	want = append(want, need)
	slices.Sort(want)
	want = slices.Compact(want)
	desc := fmt.Sprintf("%s needs the %s scope", t.Name, need)
	c := fmt.Sprintf(`Bearer error="insufficient_scope", scope=%q, error_description=%q`, strings.Join(want, " "), desc)
	if h.o.Resource != nil {
		c += fmt.Sprintf(`, resource_metadata=%q`, h.o.Resource.metadataURL())
	}
	h.log.Info("insufficient scope", zap.String("identity", identityKey(r.Context())), zap.String("tool", t.Name), zap.String("needs", need))
	w.Header().Set("WWW-Authenticate", c)
	http.Error(w, "Forbidden: "+desc+"; sign in again granting it", http.StatusForbidden)
	return true
}
