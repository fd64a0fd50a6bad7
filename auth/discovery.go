package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// ServerMetadata is the part of an authorization server's metadata
// (RFC 8414, OpenID Connect Discovery) this server reads.
type ServerMetadata struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint"`
}

// MetadataURLs lists where the metadata of the authorization server at
// issuer is looked for, in the order the MCP authorization specification
// gives: RFC 8414 with the path inserted, OpenID Connect with the path
// inserted, then OpenID Connect with the path appended. An issuer without
// a path has only the first two.
func MetadataURLs(issuer string) ([]string, error) {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not an authorization server URL", issuer)
	}
	root := u.Scheme + "://" + u.Host
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if path == "" {
		return []string{root + "/.well-known/oauth-authorization-server", root + "/.well-known/openid-configuration"}, nil
	}
	return []string{
		root + "/.well-known/oauth-authorization-server" + path,
		root + "/.well-known/openid-configuration" + path,
		root + path + "/.well-known/openid-configuration",
	}, nil
}

// DiscoverAuthorizationServer reads the metadata of the authorization
// server at issuer from the first of MetadataURLs that answers it.
func DiscoverAuthorizationServer(ctx context.Context, client *http.Client, issuer string) (*ServerMetadata, error) {
	urls, err := MetadataURLs(issuer)
	if err != nil {
		return nil, err
	}
	var tried []string
	for _, u := range urls {
		md, err := fetchMetadata(ctx, client, u)
		if err == nil {
			return md, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		tried = append(tried, err.Error())
	}
	return nil, fmt.Errorf("no metadata found for authorization server %s (%s); set --jwks-url", issuer, strings.Join(tried, "; "))
}

func fetchMetadata(ctx context.Context, client *http.Client, u string) (*ServerMetadata, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", u, resp.StatusCode)
	}
	var md ServerMetadata
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&md); err != nil {
		return nil, fmt.Errorf("%s: not JSON metadata: %v", u, err)
	}
	return &md, nil
}
