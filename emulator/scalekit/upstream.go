package scalekitemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/tableau-mcp/tableau-mcp/backend/upstream"
)

// tableauSession is the Tableau sign-in of one connected account. Its mutex
// is held during sign-in, so concurrent calls for one account sign in once.
type tableauSession struct {
	mu      sync.Mutex
	token   string
	siteID  string
	userID  string
	gen     uint64 // bumped at every sign-in
	signIns int
}

type signedIn struct {
	token  string
	siteID string
	gen    uint64
}

// invalidate forgets the session if it is still the one numbered gen (a
// newer sign-in by a concurrent call is kept).
func (s *tableauSession) invalidate(gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen {
		s.token = ""
	}
}

// current returns the live session token, "" when signed out.
func (s *tableauSession) current() (string, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.gen
}

// TableauSignIns counts the Tableau sign-ins made for a connected account
// since its credentials were last set.
func (e *Emulator) TableauSignIns(connector, identifier string) int {
	_, s, _, ok := e.lookup(connector, identifier, "")
	if !ok {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signIns
}

// baseURL is the Tableau server an account talks to.
func (e *Emulator) baseURL(a Account) string {
	d := strings.TrimRight(a.Domain, "/")
	switch {
	case strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://"):
		return d
	case e.cfg.TableauURL != "":
		return e.cfg.TableauURL
	case d != "":
		return "https://" + d
	}
	return ""
}

func (e *Emulator) apiPath(a Account, rest string) string {
	return e.baseURL(a) + "/api/" + e.cfg.APIVersion + rest
}

type signInAnswer struct {
	Credentials struct {
		Site struct {
			ID string `json:"id"`
		} `json:"site"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		Token string `json:"token"`
	} `json:"credentials"`
}

// ensureSession signs in with the account's PAT unless a session is live.
func (e *Emulator) ensureSession(ctx context.Context, a Account, s *tableauSession, execID string) (signedIn, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" {
		return signedIn{s.token, s.siteID, s.gen}, nil
	}
	if a.PATName == "" || a.PATSecret == "" {
		return signedIn{}, toolError(http.StatusUnauthorized, execID,
			"the connected account has no Tableau credentials; authorize it again", "")
	}
	if e.baseURL(a) == "" {
		return signedIn{}, toolError(http.StatusInternalServerError, execID, "no Tableau server is configured", "")
	}
	body, _ := json.Marshal(map[string]any{"credentials": map[string]any{
		"personalAccessTokenName":   a.PATName,
		"personalAccessTokenSecret": a.PATSecret,
		"site":                      map[string]any{"contentUrl": a.SiteContentURL},
	}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.apiPath(a, "/auth/signin"), bytes.NewReader(body))
	if err != nil {
		return signedIn{}, toolError(http.StatusInternalServerError, execID, "bad Tableau URL: "+err.Error(), "")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return signedIn{}, unreachable(execID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return signedIn{}, tableauError(resp, execID)
	}
	var ans signInAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil || ans.Credentials.Token == "" {
		return signedIn{}, toolError(http.StatusInternalServerError, execID, "Tableau sign-in answered no token", "")
	}
	s.token = ans.Credentials.Token
	s.siteID = ans.Credentials.Site.ID
	s.userID = ans.Credentials.User.ID
	s.gen++
	s.signIns++
	return signedIn{s.token, s.siteID, s.gen}, nil
}

// buildFunc makes one Tableau request for a session; it is called again for
// the replay after a fresh sign-in, so it must make a new body each time.
type buildFunc func(ctx context.Context, sess signedIn) (*http.Request, error)

// doTableau sends a request with the account's session, signing in first if
// needed, and once more (then replaying) when Tableau answers 401. The caller
// closes the answer's body.
func (e *Emulator) doTableau(ctx context.Context, a Account, s *tableauSession, execID string, build buildFunc) (*http.Response, *apiError) {
	for attempt := 0; ; attempt++ {
		sess, aerr := e.ensureSession(ctx, a, s, execID)
		if aerr != nil {
			return nil, aerr
		}
		req, err := build(ctx, sess)
		if err != nil {
			return nil, invalidArg(err.Error())
		}
		req.Header.Set("X-Tableau-Auth", sess.token)
		resp, err := e.client.Do(req)
		if err != nil {
			return nil, unreachable(execID, err)
		}
		if resp.StatusCode == http.StatusUnauthorized {
			s.invalidate(sess.gen)
			if attempt == 0 {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				continue
			}
		}
		return resp, nil
	}
}

// signOut ends the account's Tableau session, if any.
func (e *Emulator) signOut(ctx context.Context, a Account, s *tableauSession, execID string) *apiError {
	tok, gen := s.current()
	if tok == "" {
		return nil
	}
	s.invalidate(gen)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.apiPath(a, "/auth/signout"), nil)
	if err != nil {
		return toolError(http.StatusInternalServerError, execID, "bad Tableau URL: "+err.Error(), "")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Tableau-Auth", tok)
	resp, err := e.client.Do(req)
	if err != nil {
		return unreachable(execID, err)
	}
	defer resp.Body.Close()
	// A session Tableau already forgot is as good as signed out.
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusUnauthorized {
		return tableauError(resp, execID)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return nil
}

// --- tool errors ---

func toolError(status int, execID, message, code string) *apiError {
	return &apiError{
		status:    status,
		message:   "tool execution failed: " + message,
		errorCode: ErrCodeToolError,
		toolInfo:  &ToolErrorInfo{ExecutionID: execID, ToolErrorMessage: message, ToolErrorCode: code},
	}
}

func unreachable(execID string, err error) *apiError {
	return toolError(http.StatusServiceUnavailable, execID, "could not reach Tableau: "+err.Error(), "")
}

// toolStatus maps Tableau's HTTP status to the one Scalekit answers.
func toolStatus(upstream int) int {
	switch upstream {
	case 400, 401, 403, 404, 409, 429, 500, 501, 503, 504:
		return upstream
	case 408:
		return http.StatusGatewayTimeout
	}
	if upstream >= 500 {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// tableauError turns a Tableau error answer into a TOOL_ERROR.
func tableauError(resp *http.Response, execID string) *apiError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := upstream.ParseError(resp.StatusCode, body)
	code, msg := e.Code, upstream.Message(e)
	if len(bytes.TrimSpace(body)) == 0 {
		msg = fmt.Sprintf("Tableau answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return toolError(toolStatus(resp.StatusCode), execID, msg, code)
}
