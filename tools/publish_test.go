package tools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenImportStaysInside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "in")
	os.MkdirAll(filepath.Join(dir, "sub"), 0o700)
	os.WriteFile(filepath.Join(dir, "sub", "A.twbx"), []byte("PK"), 0o600)
	os.WriteFile(filepath.Join(root, "Out.twbx"), []byte("PK"), 0o600)
	os.Mkdir(filepath.Join(dir, "dir.twbx"), 0o700)
	for rel, want := range map[string]string{
		"sub/A.twbx":        "",
		"./sub/A.twbx":      "",
		"sub/../sub/A.twbx": "'..'",
		"../Out.twbx":       "'..'",
		"/etc/passwd":       "relative",
		"dir.twbx":          "not a regular file",
		"nope.twbx":         "not in the import directory",
	} {
		up, err := openImport(dir, rel)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", rel, err)
		case want == "":
			if up.size != 2 || up.name != "A.twbx" {
				t.Errorf("%s: %+v", rel, up)
			}
			up.done()
		case err == nil || !strings.Contains(err.Error(), want):
			t.Errorf("%s: %v, want an error saying %s", rel, err, want)
		}
	}
	if _, err := openImport("", "A.twbx"); err == nil || !strings.Contains(err.Error(), "TABLEAU_MCP_IMPORT_DIR") {
		t.Errorf("no import dir: %v", err)
	}
}

func TestPayloadEscapesAttributes(t *testing.T) {
	got := string(payloadXML("workbook", `Q1 "Sales" & O'Brien <x>`, "p-1"))
	want := `<tsRequest><workbook name="Q1 &#34;Sales&#34; &amp; O&#39;Brien &lt;x&gt;"><project id="p-1"/></workbook></tsRequest>`
	if got != want {
		t.Errorf("payload\n got %s\nwant %s", got, want)
	}
}
