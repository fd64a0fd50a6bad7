package main

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/demo"
	oauthemu "github.com/tableau-mcp/tableau-mcp/emulator/oauth"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// This server as an OAuth 2.1 protected resource: which authorization
// servers sign its callers in, and what their tokens must say.

// scalekitPreset holds what Scalekit documents for an MCP server
// registered in its MCP Auth: the authorization server is
// {env}/resources/{res_id}, tokens are signed with the keys at {env}/keys,
// issued by {env} and carry the resource ID in their audience.
type scalekitPreset struct {
	authorizationServer, issuer, jwks, audience string
}

func (c *config) scalekitPreset() (*scalekitPreset, error) {
	if c.ScalekitResourceID == "" {
		return nil, nil
	}
	id := c.ScalekitResourceID
	if strings.ContainsAny(id, "/?#% ") || !strings.HasPrefix(id, "res_") && !strings.HasPrefix(id, "sk_resource_") {
		return nil, fmt.Errorf("SCALEKIT_RESOURCE_ID %q is not a Scalekit resource ID: copy the res_... ID shown for this server under MCP servers in the Scalekit dashboard", id)
	}
	env := strings.TrimRight(c.ScalekitEnvURL, "/")
	if env == "" {
		return nil, fmt.Errorf("SCALEKIT_RESOURCE_ID needs SCALEKIT_ENVIRONMENT_URL, the environment URL shown in the Scalekit dashboard (e.g. https://acme.scalekit.com)")
	}
	if err := checkBaseURL("SCALEKIT_ENVIRONMENT_URL", env); err != nil {
		return nil, err
	}
	return &scalekitPreset{authorizationServer: env + "/resources/" + id, issuer: env, jwks: env + "/keys", audience: id}, nil
}

// checkBaseURL accepts an absolute http(s) URL without credentials, query
// or fragment.
func checkBaseURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s %q is not an http(s) URL without query or fragment, such as https://mcp.example.com", name, raw)
	}
	return nil
}

// resourceURL is the canonical URL of the MCP endpoint behind --public-url:
// lower-case scheme and host, no trailing slash, and the endpoint's path
// (/mcp, or /sse for the SSE transport) added when the URL lacks it.
func (c *config) resourceURL() (string, error) {
	if c.PublicURL == "" {
		return "", nil
	}
	if err := checkBaseURL("--public-url", c.PublicURL); err != nil {
		return "", err
	}
	u, _ := url.Parse(c.PublicURL)
	endpoint := "/mcp"
	if c.Transport == "sse" {
		endpoint = "/sse"
	}
	path := strings.TrimRight(u.EscapedPath(), "/")
	if !strings.HasSuffix(path, endpoint) {
		path += endpoint
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + path, nil
}

// authorizationServers are the issuers published in the metadata.
func (c *config) authorizationServers() ([]string, error) {
	list := commaList(c.AuthorizationServer)
	for _, as := range list {
		if err := checkBaseURL("--authorization-server", as); err != nil {
			return nil, err
		}
	}
	sk, err := c.scalekitPreset()
	if err != nil {
		return nil, err
	}
	if len(list) == 0 && sk != nil {
		list = []string{sk.authorizationServer}
	}
	return list, nil
}

// jwtConfig is the verification of bearer JWTs the settings ask for; nil
// when they ask for none.
func (c *config) jwtConfig() (*auth.JWTConfig, error) {
	servers, err := c.authorizationServers()
	if err != nil {
		return nil, err
	}
	sk, _ := c.scalekitPreset()
	if c.JWTPublicKey == "" && c.JWKSURL == "" && c.JWTIssuer == "" && c.JWTAudience == "" && len(servers) == 0 {
		return nil, nil
	}
	resource, err := c.resourceURL()
	if err != nil {
		return nil, err
	}
	require, err := parseFlagBool("require-scopes", c.RequireScopes)
	if err != nil {
		return nil, err
	}
	jc := &auth.JWTConfig{JWKSURL: c.JWKSURL, Issuer: c.JWTIssuer, IdentityClaim: c.JWTIdentityClaim, RequireScopes: require}
	if c.JWTPublicKey != "" {
		raw, err := os.ReadFile(c.JWTPublicKey)
		if err != nil {
			return nil, fmt.Errorf("--jwt-public-key: %w", err)
		}
		jc.PublicKeyPEM = raw
	}
	audiences := commaList(c.JWTAudience)
	switch {
	case sk != nil:
		if jc.Issuer == "" {
			jc.Issuer = sk.issuer
		}
		if jc.JWKSURL == "" && jc.PublicKeyPEM == nil {
			jc.JWKSURL = sk.jwks
		}
		if len(audiences) == 0 {
			// Scalekit puts the resource ID in aud; some setups the
			// server URL too: either names this server.
			audiences = append(audiences, sk.audience)
			if resource != "" {
				audiences = append(audiences, resource)
			}
		}
	case len(servers) > 0:
		if jc.Issuer == "" {
			jc.Issuer = servers[0]
		}
		if jc.JWKSURL == "" && jc.PublicKeyPEM == nil {
			jc.AuthorizationServer = servers[0]
		}
	}
	if len(audiences) == 0 && resource != "" {
		audiences = []string{resource}
	}
	if len(audiences) == 0 && len(servers) > 0 {
		return nil, fmt.Errorf("tokens must name this server in their audience: set --public-url (the URL clients reach it at) or --jwt-audience")
	}
	if len(audiences) > 0 {
		jc.Audience, jc.Audiences = audiences[0], audiences[1:]
	}
	return jc, nil
}

// protectedResource is what the metadata documents publish; nil without
// --public-url and an authorization server.
func (c *config) protectedResource() (*server.ProtectedResource, error) {
	servers, err := c.authorizationServers()
	if err != nil {
		return nil, err
	}
	resource, err := c.resourceURL()
	if err != nil {
		return nil, err
	}
	switch {
	case resource == "" && len(servers) == 0:
		return nil, nil
	case resource == "":
		return nil, fmt.Errorf("an authorization server is set, but not --public-url: clients are told the URL of this server's metadata, so set the URL they reach it at (e.g. https://mcp.example.com/mcp)")
	case len(servers) == 0:
		return nil, fmt.Errorf("--public-url is set without an authorization server: set --authorization-server (or SCALEKIT_RESOURCE_ID with SCALEKIT_ENVIRONMENT_URL) so clients know where to sign in")
	}
	require, _ := parseFlagBool("require-scopes", c.RequireScopes)
	return &server.ProtectedResource{URL: resource, AuthorizationServers: servers, Name: "Tableau MCP", AdvertiseScope: require}, nil
}

// startDemoOAuth, with --demo-oauth, starts an authorization server on
// loopback that signs everyone in at once as the demo user, points the
// settings at it (streamable HTTP on a loopback --listen, its URL as
// --public-url) and tells a person how to watch a client sign in. It
// returns nil without --demo-oauth.
func (c *config) startDemoOAuth(w io.Writer) (*oauthemu.Server, error) {
	on, err := parseFlagBool("demo-oauth", c.DemoOAuth)
	if err != nil || !on {
		return nil, err
	}
	if c.Transport == "stdio" {
		c.Transport = "http"
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("--listen %q is not host:port", c.Listen)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("--demo-oauth signs anyone in without a password, so it listens only on loopback: use --listen 127.0.0.1:%s", port)
	}
	if port == "0" {
		ln, err := net.Listen("tcp", c.Listen)
		if err != nil {
			return nil, err
		}
		c.Listen = ln.Addr().String()
		ln.Close()
	}
	if c.AuthFile != "" || c.JWTPublicKey != "" || c.JWKSURL != "" || c.JWTIssuer != "" || c.JWTAudience != "" || c.AuthorizationServer != "" || c.ScalekitResourceID != "" || c.TrustedHeader != "" {
		return nil, fmt.Errorf("--demo-oauth brings its own authorization server: remove the other authentication settings")
	}
	as, err := oauthemu.Listen(oauthemu.Config{Subject: demo.DemoIdentifier}, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.AuthorizationServer = as.URL()
	c.PublicURL = "http://" + c.Listen + "/mcp"
	if c.Transport == "sse" {
		c.PublicURL = "http://" + c.Listen + "/sse"
	}
	fmt.Fprintf(w, `tableau-mcp --demo-oauth: the demo site behind OAuth, everything on loopback.
  MCP server URL        %s   (give a client only this)
  resource metadata     http://%s/.well-known/oauth-protected-resource%s
  authorization server  %s   (registers any client and signs it in at once as %q, no password)
  scopes                tableau:read, tableau:write, tableau:delete choose the tools a client sees
To watch a sign-in: npx @modelcontextprotocol/inspector, Transport Type "Streamable HTTP", the URL
above, then "Open Auth Settings" > "Quick OAuth Flow" (or just Connect). Ctrl-C stops both.
`, c.PublicURL, c.Listen, strings.TrimPrefix(c.PublicURL, "http://"+c.Listen), as.URL(), demo.DemoIdentifier)
	return as, nil
}
