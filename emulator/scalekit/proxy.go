package scalekitemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// proxiedHeaders are the answer headers passed back from Tableau.
var proxiedHeaders = []string{
	"Content-Type", "Content-Disposition", "Content-Length", "Content-Encoding",
	"Retry-After", "ETag", "Last-Modified", "Cache-Control",
}

// handleProxy forwards {METHOD} /proxy/{path} to Tableau with the account's
// session and streams the answer back unchanged.
func (e *Emulator) handleProxy(w http.ResponseWriter, r *http.Request) {
	connector := r.Header.Get("connection_name")
	if connector == "" {
		connector = r.Header.Get("connector")
	}
	identifier := r.Header.Get("identifier")
	if connector == "" {
		writeError(w, invalidArg("header connection_name is required"))
		return
	}
	if identifier == "" {
		writeError(w, invalidArg("header identifier is required"))
		return
	}
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/proxy")
	if path == "" || path == "/" {
		writeError(w, invalidArg("a Tableau path must follow /proxy"))
		return
	}
	a, sess, _, ok := e.lookup(connector, identifier, "")
	if !ok {
		writeError(w, newError(http.StatusNotFound, ErrCodeNotFound,
			fmt.Sprintf("connected account not found for identifier %q and connector %q", identifier, connector)))
		return
	}
	execID := newExecutionID()
	if a.Status != StatusActive {
		writeError(w, toolError(http.StatusUnauthorized, execID,
			fmt.Sprintf("connected account status is %s; the user must authorize Tableau again", a.Status), ""))
		return
	}
	// ServeHTTP has already read the (small) request body, so it can be
	// sent twice if Tableau asks for a fresh sign-in.
	body, _ := io.ReadAll(r.Body)
	target := e.baseURL(a) + path
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	resp, aerr := e.doTableau(r.Context(), a, sess, execID, func(ctx context.Context, _ signedIn) (*http.Request, error) {
		var rd io.Reader
		if len(body) > 0 {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, r.Method, target, rd)
		if err != nil {
			return nil, err
		}
		accept := r.Header.Get("Accept")
		if accept == "" {
			accept = "application/json"
		}
		req.Header.Set("Accept", accept)
		if len(body) > 0 {
			ct := r.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		return req, nil
	})
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	defer resp.Body.Close()
	for _, h := range proxiedHeaders {
		if v := resp.Header.Values(h); len(v) > 0 {
			w.Header()[h] = append([]string(nil), v...)
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
