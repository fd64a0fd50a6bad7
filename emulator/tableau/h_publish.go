package tableauemu

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
)

// Publishing: POST /workbooks with a multipart/mixed body of a
// request_payload part (XML or JSON naming the workbook and its project)
// and a tableau_workbook part holding the file; or, for large files, an
// upload session (POST /fileUploads, PUT /fileUploads/{id} with a
// tableau_file part per chunk) committed by POST /workbooks?uploadSessionId=
// with the payload part alone. Chunks are kept in a temporary file, not in
// memory. The file is checked to be a workbook: a zip holding a .twb
// (twbx) or a document whose root is <workbook> (twb).

// maxPublishBody bounds one publish or append request (64 MB of file
// plus the multipart framing).
const maxPublishBody = 64<<20 + 1<<20

// maxUploads bounds the upload sessions kept at once.
const maxUploads = 16

type fileUpload struct {
	siteID string
	f      *os.File
	size   int64
}

// parts reads a multipart/mixed body as it arrives: the part named file
// is copied to the writer sink gives (when it gives one), the others are
// kept in memory (up to 1 MB each). It returns the small parts by name and
// the file part's size, -1 when there was none.
func (c *call) parts(file string, sink func() (io.Writer, *apiErr)) (map[string][]byte, int64, *apiErr) {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return nil, -1, newErr(http.StatusUnsupportedMediaType, "415000", "The request must be multipart/mixed with a boundary.")
	}
	out := map[string][]byte{}
	fileSize := int64(-1)
	mr := multipart.NewReader(io.LimitReader(c.r.Body, maxPublishBody+1), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out, fileSize, nil
		}
		if err != nil {
			return nil, -1, badRequest("The multipart body cannot be read (or is over 64 MB): %v.", err)
		}
		disp := p.Header.Get("Content-Disposition")
		if !strings.Contains(strings.SplitN(disp, ";", 2)[0], "=") {
			disp = strings.TrimSpace(disp[strings.Index(disp+";", ";")+1:])
		}
		_, dp, err := mime.ParseMediaType("form-data; " + disp)
		if err != nil || dp["name"] == "" {
			return nil, -1, badRequest("A part has no name in its Content-Disposition.")
		}
		if dp["name"] == file && sink != nil {
			w, aerr := sink()
			if aerr != nil {
				return nil, -1, aerr
			}
			n, err := io.Copy(w, p)
			if err != nil {
				return nil, -1, badRequest("The file part cannot be read (or is over 64 MB): %v.", err)
			}
			fileSize = n
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, 1<<20+1))
		if err != nil || len(b) > 1<<20 {
			return nil, -1, badRequest("The part '%s' cannot be read or is over 1 MB.", dp["name"])
		}
		out[dp["name"]] = b
	}
}

func hFileUploadStart(c *call) {
	f, err := os.CreateTemp("", "tableauemu-upload-*")
	if err != nil {
		c.fail(newErr(http.StatusInternalServerError, "500000", err.Error()))
		return
	}
	id := c.e.newID("fileUpload")
	if c.e.uploads == nil {
		c.e.uploads = map[string]*fileUpload{}
	}
	// Sessions never committed are bounded: past maxUploads the oldest
	// is dropped with its file (Tableau expires them too).
	c.e.uploadOrder = append(c.e.uploadOrder, id)
	for len(c.e.uploadOrder) > maxUploads {
		old := c.e.uploadOrder[0]
		c.e.uploadOrder = c.e.uploadOrder[1:]
		if u := c.e.uploads[old]; u != nil {
			u.f.Close()
			os.Remove(u.f.Name())
			delete(c.e.uploads, old)
		}
	}
	c.e.uploads[id] = &fileUpload{siteID: c.site.id, f: f}
	c.ok(http.StatusCreated, obj{"fileUpload": obj{"uploadSessionId": id, "fileSize": "0"}})
}

func (c *call) findUpload(id string) (*fileUpload, bool) {
	u := c.e.uploads[id]
	if u == nil || u.siteID != c.site.id {
		c.fail(notFound("404003", "Upload session", id))
		return nil, false
	}
	return u, true
}

func hFileUploadAppend(c *call) {
	u, ok := c.findUpload(c.param(1))
	if !ok {
		return
	}
	_, n, err := c.parts("tableau_file", func() (io.Writer, *apiErr) { return io.NewOffsetWriter(u.f, u.size), nil })
	if err != nil {
		c.fail(err)
		return
	}
	if n < 0 {
		c.fail(badRequest("The request has no 'tableau_file' part."))
		return
	}
	u.size += n
	c.ok(http.StatusOK, obj{"fileUpload": obj{"uploadSessionId": c.param(1), "fileSize": itoa(int((u.size + 1<<20 - 1) >> 20))}})
}

// checkWorkbookFile refuses what is not a workbook of the type given.
func checkWorkbookFile(typ string, r io.ReaderAt, size int64) *apiErr {
	switch typ {
	case "twbx":
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return badRequest("The file is not a packaged workbook: a .twbx is a zip archive (%v).", err)
		}
		for _, f := range zr.File {
			if strings.HasSuffix(strings.ToLower(f.Name), ".twb") {
				return nil
			}
		}
		return badRequest("The packaged workbook holds no .twb file.")
	case "twb":
		d := xml.NewDecoder(io.NewSectionReader(r, 0, size))
		for {
			t, err := d.Token()
			if err != nil {
				return badRequest("The file is not a workbook: a .twb is an XML document whose root is <workbook>.")
			}
			if se, ok := t.(xml.StartElement); ok {
				if se.Name.Local == "workbook" {
					return nil
				}
				return badRequest("The file is not a workbook: its root element is <%s>, not <workbook>.", se.Name.Local)
			}
		}
	}
	return badRequest("workbookType must be twb or twbx.")
}

// publishPayload reads the workbook name and project from the payload.
func publishPayload(b []byte) (name, projectID string, err *apiErr) { return payloadOf(b, "workbook") }

// payloadOf reads the name and project of the root element noun
// (workbook, datasource) from a request_payload in XML or JSON.
func payloadOf(b []byte, noun string) (name, projectID string, err *apiErr) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var j map[string]struct {
			Name    string `json:"name"`
			Project struct {
				ID string `json:"id"`
			} `json:"project"`
		}
		if e := json.Unmarshal(b, &j); e != nil {
			return "", "", badRequest("The request_payload is not valid JSON: %v.", e)
		}
		return j[noun].Name, j[noun].Project.ID, nil
	}
	var x struct {
		Items []struct {
			XMLName xml.Name
			Name    string `xml:"name,attr"`
			Project struct {
				ID string `xml:"id,attr"`
			} `xml:"project"`
		} `xml:",any"`
	}
	if e := xml.Unmarshal(b, &x); e != nil {
		return "", "", badRequest("The request_payload is not valid XML: %v.", e)
	}
	for _, it := range x.Items {
		if it.XMLName.Local == noun {
			return it.Name, it.Project.ID, nil
		}
	}
	return "", "", badRequest("The request_payload has no <%s> element.", noun)
}

func hWorkbookPublish(c *call) {
	typ := c.q.Get("workbookType")
	if typ == "" {
		typ = "twbx"
	}
	if typ != "twb" && typ != "twbx" {
		c.fail(badRequest("workbookType must be twb or twbx."))
		return
	}
	parts, src, size, done, aerr := c.publishParts("tableau_workbook")
	if aerr != nil {
		c.fail(aerr)
		return
	}
	defer done()
	payload, has := parts["request_payload"]
	if !has {
		c.fail(badRequest("The request has no 'request_payload' part."))
		return
	}
	name, projectID, aerr := publishPayload(payload)
	if aerr != nil {
		c.fail(aerr)
		return
	}
	if strings.TrimSpace(name) == "" {
		c.fail(badRequest("'workbook.name' is required."))
		return
	}
	p := c.site.project(projectID)
	if p == nil {
		c.fail(notFound("404005", "Project", projectID))
		return
	}
	if aerr := checkWorkbookFile(typ, src, size); aerr != nil {
		c.fail(aerr)
		return
	}
	overwrite := strings.EqualFold(c.q.Get("overwrite"), "true")
	for _, o := range c.site.workbooks {
		if o.projectID == p.id && strings.EqualFold(o.name, name) {
			if !overwrite {
				c.fail(conflict("A workbook named '%s' already exists in project '%s'; publish with overwrite=true to replace it.", name, p.name))
				return
			}
			o.size, o.updatedAt = int((size+1<<20-1)>>20), c.now
			c.ok(http.StatusOK, obj{"workbook": c.workbookJSON(o, true)})
			return
		}
	}
	c.site.nextNum++
	w := &workbook{id: c.e.newID("workbook"), name: name, contentURL: urlName(name), size: int((size + 1<<20 - 1) >> 20),
		createdAt: c.now, updatedAt: c.now, projectID: p.id, ownerID: c.user.id, num: c.site.nextNum}
	c.site.workbooks = append(c.site.workbooks, w)
	c.ok(http.StatusCreated, obj{"workbook": c.workbookJSON(w, true)})
}

// checkDatasourceFile refuses what is not a data source of the type given:
// a .tdsx is a zip holding a .tds, a .tds an XML document whose root is
// <datasource>, a .hyper a file starting with Hyper's signature.
func checkDatasourceFile(typ string, r io.ReaderAt, size int64) *apiErr {
	switch typ {
	case "tdsx":
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return badRequest("The file is not a packaged data source: a .tdsx is a zip archive (%v).", err)
		}
		for _, f := range zr.File {
			if strings.HasSuffix(strings.ToLower(f.Name), ".tds") {
				return nil
			}
		}
		return badRequest("The packaged data source holds no .tds file.")
	case "tds":
		d := xml.NewDecoder(io.NewSectionReader(r, 0, size))
		for {
			t, err := d.Token()
			if err != nil {
				return badRequest("The file is not a data source: a .tds is an XML document whose root is <datasource>.")
			}
			if se, ok := t.(xml.StartElement); ok {
				if se.Name.Local == "datasource" {
					return nil
				}
				return badRequest("The file is not a data source: its root element is <%s>, not <datasource>.", se.Name.Local)
			}
		}
	case "hyper":
		if size == 0 {
			return badRequest("The .hyper file is empty.")
		}
		return nil
	}
	return badRequest("datasourceType must be hyper, tds or tdsx.")
}

func hDatasourcePublish(c *call) {
	typ := c.q.Get("datasourceType")
	if typ != "hyper" && typ != "tds" && typ != "tdsx" {
		c.fail(badRequest("datasourceType must be hyper, tds or tdsx."))
		return
	}
	parts, src, size, done, aerr := c.publishParts("tableau_datasource")
	if aerr != nil {
		c.fail(aerr)
		return
	}
	defer done()
	name, projectID, aerr := payloadOf(parts["request_payload"], "datasource")
	if aerr != nil {
		c.fail(aerr)
		return
	}
	if strings.TrimSpace(name) == "" {
		c.fail(badRequest("'datasource.name' is required."))
		return
	}
	p := c.site.project(projectID)
	if p == nil {
		c.fail(notFound("404005", "Project", projectID))
		return
	}
	if aerr := checkDatasourceFile(typ, src, size); aerr != nil {
		c.fail(aerr)
		return
	}
	overwrite := strings.EqualFold(c.q.Get("overwrite"), "true")
	for _, o := range c.site.datasources {
		if o.projectID == p.id && strings.EqualFold(o.name, name) {
			if !overwrite {
				c.fail(conflict("A data source named '%s' already exists in project '%s'; publish with overwrite=true to replace it.", name, p.name))
				return
			}
			o.size, o.updatedAt = int(size>>10), c.now
			c.ok(http.StatusOK, obj{"datasource": c.datasourceJSON(o)})
			return
		}
	}
	c.site.nextNum++
	d := &datasource{id: c.e.newID("datasource"), name: name, typ: typ, contentURL: urlName(name), size: int(size >> 10),
		createdAt: c.now, updatedAt: c.now, hasExtracts: typ != "tds", projectID: p.id, ownerID: c.user.id, num: c.site.nextNum}
	c.site.datasources = append(c.site.datasources, d)
	c.ok(http.StatusCreated, obj{"datasource": c.datasourceJSON(d)})
}

// publishParts reads a publish request: its small parts, and its file,
// from the part named file (written to a temporary file as it arrives) or
// the upload session the query names. done removes what was used.
func (c *call) publishParts(file string) (parts map[string][]byte, src io.ReaderAt, size int64, done func(), err *apiErr) {
	done = func() {}
	if id := c.q.Get("uploadSessionId"); id != "" {
		if parts, _, err = c.parts("", nil); err != nil {
			return nil, nil, 0, done, err
		}
		u := c.e.uploads[id]
		if u == nil || u.siteID != c.site.id {
			return nil, nil, 0, done, notFound("404003", "Upload session", id)
		}
		return parts, u.f, u.size, func() {
			u.f.Close()
			os.Remove(u.f.Name())
			delete(c.e.uploads, id)
		}, nil
	}
	var tmp *os.File
	done = func() {
		if tmp != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}
	parts, size, err = c.parts(file, func() (io.Writer, *apiErr) {
		var e error
		if tmp, e = os.CreateTemp("", "tableauemu-publish-*"); e != nil {
			return nil, newErr(http.StatusInternalServerError, "500000", e.Error())
		}
		return tmp, nil
	})
	if err != nil {
		return nil, nil, 0, done, err
	}
	if size < 0 {
		return nil, nil, 0, done, badRequest("The request has no '%s' part and no uploadSessionId.", file)
	}
	return parts, tmp, size, done, nil
}
