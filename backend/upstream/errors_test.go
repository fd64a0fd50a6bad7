package upstream

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

func TestParseErrorForms(t *testing.T) {
	cases := []struct {
		body          string
		code, summary string
	}{
		{`{"error":{"code":"404011","summary":"Not Found","detail":"d"}}`, "404011", "Not Found"},
		{`{"error":{"code":409000,"summary":"Conflict","detail":"d"}}`, "409000", "Conflict"},
		{`<tsResponse><error code="403133"><summary>Forbidden</summary><detail>x</detail></error></tsResponse>`, "403133", "Forbidden"},
		{`{"errorCode":"400803","message":"Unknown Field: Foo.","datetime":"2026-01-01T00:00:00Z"}`, "400803", "Unknown Field: Foo."},
		{`<html><body>Sign in</body></html>`, "", "Bad Gateway"},
		{``, "", "Bad Gateway"},
	}
	for _, c := range cases {
		e := ParseError(502, []byte(c.body))
		if e.Code != c.code || e.Summary != c.summary {
			t.Errorf("%s: got %q %q", c.body, e.Code, e.Summary)
		}
	}
}

func answer(body string) *http.Response {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}
}

func TestCheckDownloadFindsErrorBodiesSentWithStatus200(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"code":"403157","summary":"Forbidden","detail":"Export is disabled for this site."}}`:                                                                    "403157",
		`{"errorCode":"500000","message":"Internal"}`:                                                                                                                       "500000",
		`<?xml version='1.0'?><tsResponse xmlns="http://tableau.com/api"><error code="404004"><summary>Not Found</summary><detail>View gone.</detail></error></tsResponse>`: "404004",
	} {
		_, err := CheckDownload(answer(body))
		ae, ok := err.(*backend.APIError)
		if !ok || ae.Code != want || ae.Status != 200 {
			t.Errorf("%s: got %v", body, err)
		}
	}
	// Files, and JSON that is no error, pass whole.
	for _, body := range []string{"\x89PNG\r\n\x1a\nrest", `{"hello":1}`, "<?xml version='1.0'?><workbook/>", "a,b\n1,2\n", ""} {
		resp, err := CheckDownload(answer(body))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		got, _ := io.ReadAll(resp.Body)
		if string(got) != body {
			t.Errorf("body changed: %q -> %q", body, got)
		}
	}
}
