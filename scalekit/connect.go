package scalekit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// PAT is what a connected account holds to sign in to Tableau.
type PAT struct {
	// Domain is the Tableau server (e.g. https://prod-useast-a.online.tableau.com).
	Domain string
	Name   string
	Secret string
	// SiteContentURL names the site ("" for the Default site).
	SiteContentURL string
}

// Connect creates the connected account of identifier on this client's
// connection with pat, or updates it when it exists, and returns its status
// as Scalekit reports it. The secret is sent to Scalekit and nowhere else.
func (c *Client) Connect(ctx context.Context, identifier string, pat PAT) (string, error) {
	if err := auth.CheckIdentifier(identifier); err != nil {
		return "", fmt.Errorf("the connected account's identifier: %w", err)
	}
	if pat.Domain == "" || pat.Name == "" || pat.Secret == "" {
		return "", errors.New("a connected account needs the Tableau server, the PAT name and the PAT secret")
	}
	body, err := json.Marshal(map[string]any{
		"connector": c.cfg.Connection, "identifier": identifier,
		"connected_account": map[string]any{"authorization_details": map[string]any{"static_auth": map[string]any{"details": map[string]any{
			"domain": pat.Domain, "pat_name": pat.Name, "pat_secret": pat.Secret, "site_content_url": pat.SiteContentURL,
		}}}},
	})
	if err != nil {
		return "", err
	}
	send := func(method string, repeatable bool) (int, []byte, error) {
		resp, tries, err := c.do(ctx, repeatable, c.jsonRequest(method, "/api/v1/connected_accounts", body))
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusConflict {
			return resp.StatusCode, raw, c.translate(parseError(resp.StatusCode, raw), identifier, "connected_accounts", tries)
		}
		return resp.StatusCode, raw, nil
	}
	// Create; when the account exists already, update it (the same
	// request, replacing the credentials, may safely be repeated).
	status, raw, err := send(http.MethodPost, false)
	if err == nil && status == http.StatusConflict {
		status, raw, err = send(http.MethodPut, true)
		if err == nil && status == http.StatusConflict {
			err = fmt.Errorf("Scalekit answered conflict to updating the connected account %q: %s", identifier, parseError(status, raw).Message)
		}
	}
	if err != nil {
		return "", err
	}
	var out struct {
		ConnectedAccount struct {
			Status string `json:"status"`
		} `json:"connected_account"`
	}
	_ = json.Unmarshal(raw, &out)
	return out.ConnectedAccount.Status, nil
}
