package tableauemu

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// mixed writes a multipart/mixed body by hand, in the form Tableau's
// publishing documentation shows: parts named by a bare
// Content-Disposition name="...".
func mixed(parts ...string) string {
	var b strings.Builder
	for i := 0; i+2 < len(parts)+1; i += 3 {
		b.WriteString("--B0UND\r\nContent-Disposition: " + parts[i] + "\r\nContent-Type: " + parts[i+1] + "\r\n\r\n" + parts[i+2] + "\r\n")
	}
	b.WriteString("--B0UND--\r\n")
	return b.String()
}

func zipWith(t *testing.T, name string) string {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create(name)
	w.Write([]byte("<workbook/>"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestPublishWorkbookMultipart(t *testing.T) {
	_, c := signedIn(t, Config{})
	project := idByName(t, c, "projects", "projects", "project", "Sales")
	payload := `<tsRequest><workbook name="Hand Made"><project id="` + project + `"/></workbook></tsRequest>`
	c.ctype = "multipart/mixed; boundary=B0UND"
	a := c.do("POST", c.site("workbooks?workbookType=twbx&overwrite=false"), mixed(
		`name="request_payload"`, "text/xml", payload,
		`name="tableau_workbook"; filename="Hand Made.twbx"`, "application/octet-stream", zipWith(t, "Hand Made.twb")))
	wantStatus(t, a, 201)
	if a.str("workbook", "name") != "Hand Made" || a.str("workbook", "project", "id") != project || a.str("workbook", "id") == "" {
		t.Fatalf("publish answer: %s", a.raw)
	}
	// The same name again without overwrite is a conflict (409).
	a = c.do("POST", c.site("workbooks?workbookType=twbx&overwrite=false"), mixed(
		`name="request_payload"`, "text/xml", payload,
		`name="tableau_workbook"; filename="Hand Made.twbx"`, "application/octet-stream", zipWith(t, "Hand Made.twb")))
	wantStatus(t, a, 409)
	// A zip without a .twb, a part under another name, and a plain .twb
	// whose root is not <workbook> are refused.
	a = c.do("POST", c.site("workbooks?workbookType=twbx"), mixed(`name="request_payload"`, "text/xml", strings.Replace(payload, "Hand Made", "Other", 1),
		`name="tableau_workbook"; filename="x.twbx"`, "application/octet-stream", zipWith(t, "notes.txt")))
	wantStatus(t, a, 400)
	a = c.do("POST", c.site("workbooks?workbookType=twbx"), mixed(`name="request_payload"`, "text/xml", payload,
		`name="file"; filename="x.twbx"`, "application/octet-stream", zipWith(t, "x.twb")))
	wantStatus(t, a, 400)
	a = c.do("POST", c.site("workbooks?workbookType=twb"), mixed(`name="request_payload"`, "text/xml", strings.Replace(payload, "Hand Made", "Plain", 1),
		`name="tableau_workbook"; filename="x.twb"`, "application/xml", "<datasource/>"))
	wantStatus(t, a, 400)
	a = c.do("POST", c.site("workbooks?workbookType=twb"), mixed(`name="request_payload"`, "text/xml", strings.Replace(payload, "Hand Made", "Plain", 1),
		`name="tableau_workbook"; filename="x.twb"`, "application/xml", "<?xml version='1.0'?><workbook version='18.1'/>"))
	wantStatus(t, a, 201)

	// Chunked: start a session, append two chunks, commit with the payload alone.
	c.ctype = ""
	a = c.do("POST", c.site("fileUploads"), nil)
	wantStatus(t, a, 201)
	id := a.str("fileUpload", "uploadSessionId")
	file := zipWith(t, "Chunked.twb")
	c.ctype = "multipart/mixed; boundary=B0UND"
	for _, chunk := range []string{file[:len(file)/2], file[len(file)/2:]} {
		a = c.do("PUT", c.site("fileUploads/"+id), mixed(`name="request_payload"`, "text/xml", "",
			`name="tableau_file"; filename="file"`, "application/octet-stream", chunk))
		wantStatus(t, a, 200)
	}
	a = c.do("POST", c.site("workbooks?uploadSessionId="+id+"&workbookType=twbx&overwrite=false"), mixed(`name="request_payload"`, "text/xml",
		`<tsRequest><workbook name="Chunked"><project id="`+project+`"/></workbook></tsRequest>`))
	wantStatus(t, a, 201)
	c.ctype = ""
	idByName(t, c, "workbooks", "workbooks", "workbook", "Chunked")
	// The session is spent once committed.
	c.ctype = "multipart/mixed; boundary=B0UND"
	a = c.do("PUT", c.site("fileUploads/"+id), mixed(`name="tableau_file"; filename="file"`, "application/octet-stream", "x"))
	wantStatus(t, a, 404)
}
