package server_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// twbx builds a packaged workbook: a .twb and, to reach a size, a stored
// (uncompressed) file of random bytes.
func twbx(t *testing.T, pad int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("Published.twb")
	w.Write([]byte(`<?xml version='1.0' encoding='utf-8' ?><workbook version='18.1'><worksheets/></workbook>`))
	if pad > 0 {
		w, _ = zw.CreateHeader(&zip.FileHeader{Name: "Data/pad.bin", Method: zip.Store})
		buf := make([]byte, pad)
		rand.New(rand.NewSource(1)).Read(buf)
		w.Write(buf)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tdsx builds a packaged data source: a zip holding a .tds.
func tdsx(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("Orders.tds")
	w.Write([]byte(`<?xml version='1.0' encoding='utf-8' ?><datasource formatted-name='Orders' version='18.1'><connection class='hyper'/></datasource>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// walkImportDir is an import directory holding Walk.twbx and Walk.tdsx.
func walkImportDir(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Walk.twbx"), twbx(t, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Walk.tdsx"), tdsx(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPublishDatasource(t *testing.T) {
	dir := walkImportDir(t)
	os.WriteFile(filepath.Join(dir, "Wrong.tdsx"), twbx(t, 0), 0o600)
	s := publishSession(t, tools.ExportOptions{ImportDir: dir, ChunkBytes: 300})
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")
	// 300-byte chunks: this small file goes through an upload session too.
	s.OK("tableau_datasource_publish", args{"file": "Walk.tdsx", "project_id": project, "name": "Walked Orders"})
	if n := len(List(s.OK("tableau_datasources_list", args{"filter": "name:eq:Walked Orders"}), "datasources", "datasource")); n != 1 {
		t.Fatalf("the published data source is not listed (%d)", n)
	}
	s.Fail("tableau_datasource_publish", args{"file": "Walk.tdsx", "project_id": project, "name": "Walked Orders"}, "409", "already exists")
	s.Fail("tableau_datasource_publish", args{"file": "Wrong.tdsx", "project_id": project}, "no .tds")
	s.Fail("tableau_datasource_publish", args{"file": "Walk.twbx", "project_id": project}, ".tdsx")
}

// twbxFile writes a packaged workbook of about pad bytes straight to path.
func twbxFile(t *testing.T, path string, pad int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	w, _ := zw.Create("Published.twb")
	w.Write([]byte(`<?xml version='1.0' encoding='utf-8' ?><workbook version='18.1'/>`))
	w, _ = zw.CreateHeader(&zip.FileHeader{Name: "Data/pad.bin", Method: zip.Store})
	if _, err := io.CopyN(w, rand.New(rand.NewSource(2)), pad); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// peakHeapGrowth runs f while sampling the heap, and returns how far it
// rose above where it stood before (after a collection).
func peakHeapGrowth(f func()) int64 {
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			default:
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak {
				peak = m.HeapAlloc
			}
			runtime.Gosched()
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return int64(peak) - int64(before.HeapAlloc)
}

// TestHundredMegabytePublishAtTheDefaultChunkSize is the measure:
// 100 MB through 64 MB chunks with the heap (server and in-process
// emulator together) growing by at most 32 MB.
func TestHundredMegabytePublishAtTheDefaultChunkSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200 MB")
	}
	dir := t.TempDir()
	twbxFile(t, filepath.Join(dir, "Hundred.twbx"), 100<<20)
	s, emu := demoSessionWith(t, func(o *server.Options) { o.Exports = tools.ExportOptions{ImportDir: dir} })
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")
	growth := peakHeapGrowth(func() { s.OK("tableau_workbook_publish", args{"file": "Hundred.twbx", "project_id": project}) })
	t.Logf("publishing 100 MB in 64 MB chunks grew the heap by at most %d KB", growth>>10)
	if growth > 32<<20 {
		t.Errorf("the heap grew by %d MB publishing 100 MB", growth>>20)
	}
	appends := 0
	for _, r := range emu.Requests() {
		if r.Method == "PUT" && strings.Contains(r.Path, "/fileUploads/") {
			appends++
		}
	}
	if appends != 2 {
		t.Errorf("%d chunks for 100 MB at 64 MB each; want 2", appends)
	}
}

func publishSession(t *testing.T, opts tools.ExportOptions) *Session {
	s, _ := demoSessionWith(t, func(o *server.Options) { o.Exports = opts })
	return s
}

func TestPublishWorkbookFromImportDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Quarterly.twbx"), twbx(t, 0), 0o600); err != nil {
		t.Fatal(err)
	}
	s := publishSession(t, tools.ExportOptions{ImportDir: dir})
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")

	s.OK("tableau_workbook_publish", args{"file": "Quarterly.twbx", "project_id": project, "name": "Quarterly Review"})
	found := List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Quarterly Review"}), "workbooks", "workbook")
	if len(found) != 1 {
		t.Fatalf("the published workbook is not listed: %v", found)
	}
	// Publishing the same name again without overwrite is Tableau's 409;
	// with overwrite it replaces the workbook.
	s.Fail("tableau_workbook_publish", args{"file": "Quarterly.twbx", "project_id": project, "name": "Quarterly Review"}, "409", "already exists")
	s.OK("tableau_workbook_publish", args{"file": "Quarterly.twbx", "project_id": project, "name": "Quarterly Review", "overwrite": true})
	if n := len(List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Quarterly Review"}), "workbooks", "workbook")); n != 1 {
		t.Errorf("overwrite left %d workbooks of that name", n)
	}

	// Inline base64, named by filename.
	s.OK("tableau_workbook_publish", args{"content": base64.StdEncoding.EncodeToString(twbx(t, 0)), "filename": "Inline.twbx", "project_id": project})
	if n := len(List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Inline"}), "workbooks", "workbook")); n != 1 {
		t.Errorf("inline publish not listed (%d)", n)
	}
	// A file that is not a workbook is refused by Tableau.
	os.WriteFile(filepath.Join(dir, "Fake.twbx"), []byte("not a zip"), 0o600)
	s.Fail("tableau_workbook_publish", args{"file": "Fake.twbx", "project_id": project}, "zip")
}

func TestPublishRefusesPathsOutsideTheImportDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "import")
	os.Mkdir(dir, 0o700)
	outside := filepath.Join(root, "Secret.twbx")
	os.WriteFile(outside, twbx(t, 0), 0o600)
	if err := os.Symlink(outside, filepath.Join(dir, "Link.twbx")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	s := publishSession(t, tools.ExportOptions{ImportDir: dir})
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")
	s.Fail("tableau_workbook_publish", args{"file": "../Secret.twbx", "project_id": project}, "'..' is not allowed")
	s.Fail("tableau_workbook_publish", args{"file": outside, "project_id": project}, "relative to the import directory")
	s.Fail("tableau_workbook_publish", args{"file": "Link.twbx", "project_id": project}, "outside the import directory")
	s.Fail("tableau_workbook_publish", args{"file": "Missing.twbx", "project_id": project}, "not in the import directory")

	// Without an import directory nothing is published, inline included.
	off := publishSession(t, tools.ExportOptions{})
	off.Fail("tableau_workbook_publish", args{"file": "Quarterly.twbx", "project_id": project}, "--import-dir", "TABLEAU_MCP_IMPORT_DIR")
	off.Fail("tableau_workbook_publish", args{"content": base64.StdEncoding.EncodeToString(twbx(t, 0)), "filename": "X.twbx", "project_id": project}, "--import-dir")
	// Inline content is bounded by --max-inline-bytes.
	small := publishSession(t, tools.ExportOptions{ImportDir: dir, MaxInlineBytes: 100})
	small.Fail("tableau_workbook_publish", args{"content": base64.StdEncoding.EncodeToString(twbx(t, 1000)), "filename": "X.twbx", "project_id": project}, "--max-inline-bytes")
}

// TestChunkedPublishKeepsMemoryFlat publishes a file over the chunk
// threshold (1 MB here, 64 MB by default) through an upload session and
// samples the heap while it runs: holding the file whole would show.
func TestChunkedPublishKeepsMemoryFlat(t *testing.T) {
	const size = 16 << 20
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Big.twbx"), twbx(t, size), 0o600); err != nil {
		t.Fatal(err)
	}
	s, emu := demoSessionWith(t, func(o *server.Options) { o.Exports = tools.ExportOptions{ImportDir: dir, ChunkBytes: 1 << 20} })
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")

	growth := peakHeapGrowth(func() { s.OK("tableau_workbook_publish", args{"file": "Big.twbx", "project_id": project}) })
	t.Logf("publishing %d MB in 1 MB chunks grew the heap by at most %d KB", size>>20, growth>>10)
	if growth > 8<<20 {
		t.Errorf("the heap grew by %d MB while publishing %d MB: the file is held in memory", growth>>20, size>>20)
	}
	var appends int
	var commit bool
	for _, r := range emu.Requests() {
		switch {
		case r.Method == "PUT" && strings.Contains(r.Path, "/fileUploads/"):
			appends++
		case r.Method == "POST" && strings.HasSuffix(r.Path, "/workbooks"):
			commit = strings.Contains(r.RawQuery, "uploadSessionId=") && strings.Contains(r.RawQuery, "workbookType=twbx")
		}
	}
	if appends != 17 || !commit {
		t.Errorf("%d appends (want 17 for a 16 MB file and its zip framing) and commit %v", appends, commit)
	}
	if n := len(List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:Big"}), "workbooks", "workbook")); n != 1 {
		t.Errorf("the chunked workbook is not listed (%d)", n)
	}
}

// TestPublishResendsItsBodyAfterSessionRenewal: Tableau refuses an
// expired session before reading the upload, and the client signs in again
// and sends the same request once more; the streamed body must be whole
// the second time.
func TestPublishResendsItsBodyAfterSessionRenewal(t *testing.T) {
	dir := walkImportDir(t)
	s, emu := demoSessionWith(t, func(o *server.Options) { o.Exports = tools.ExportOptions{ImportDir: dir} })
	project := idOf(t, s, "tableau_projects_list", "projects", "project", "Sales")
	emu.ExpireSessions()
	s.OK("tableau_workbook_publish", args{"file": "Walk.twbx", "project_id": project, "name": "After Renewal"})
	if st := emu.Stats(); st.SignIns != 2 {
		t.Errorf("%d sign-ins, want 2", st.SignIns)
	}
	if n := len(List(s.OK("tableau_workbooks_list", args{"filter": "name:eq:After Renewal"}), "workbooks", "workbook")); n != 1 {
		t.Errorf("published after renewal: %d listed", n)
	}
}
