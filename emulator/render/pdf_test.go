package render

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Sheet sizes from the paper standards, short side first: ISO 216 and JIS
// P 0138 in millimetres, North American sizes in inches.
var sheetSizes = map[string][2]float64{
	"a3":          {mm(297), mm(420)},
	"a4":          {mm(210), mm(297)},
	"a5":          {mm(148), mm(210)},
	"b4":          {mm(257), mm(364)},
	"b5":          {mm(182), mm(257)},
	"executive":   {72 * 7.25, 72 * 10.5},
	"folio":       {72 * 8.5, 72 * 13},
	"ledger":      {72 * 11, 72 * 17},
	"legal":       {72 * 8.5, 72 * 14},
	"letter":      {72 * 8.5, 72 * 11},
	"note":        {72 * 8.5, 72 * 11},
	"quarto":      {mm(215), mm(275)},
	"tabloid":     {72 * 11, 72 * 17},
	"unspecified": {72 * 8.5, 72 * 11},
}

func mm(v float64) float64 { return v / 25.4 * 72 }

type pdfInfo struct {
	objects   map[int]string // object number -> body between "obj" and "endobj"
	pages     int
	mediaBox  [4]float64
	imgW      int
	imgH      int
	imgStream []byte
}

// parsePDF checks the file structure (header, trailer, cross-reference
// offsets) and collects what the tests look at.
func parsePDF(t *testing.T, b []byte) pdfInfo {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		t.Fatalf("no %%PDF- header: %q", b[:min(10, len(b))])
	}
	if !bytes.HasSuffix(bytes.TrimRight(b, "\r\n"), []byte("%%EOF")) {
		t.Fatalf("does not end with %%%%EOF: %q", b[max(0, len(b)-20):])
	}
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no startxref")
	}
	xref, _ := strconv.Atoi(string(m[1]))
	if xref <= 0 || xref >= len(b) || !bytes.HasPrefix(b[xref:], []byte("xref")) {
		t.Fatalf("startxref %d does not point at the xref table", xref)
	}
	sect := regexp.MustCompile(`^xref\r?\n0 (\d+)\r?\n`).FindSubmatch(b[xref:])
	if sect == nil {
		t.Fatalf("bad xref section: %q", b[xref:min(len(b), xref+40)])
	}
	size, _ := strconv.Atoi(string(sect[1]))
	entries := b[xref+len(sect[0]):]
	info := pdfInfo{objects: map[int]string{}}
	for i := range size {
		if len(entries) < 20*(i+1) {
			t.Fatalf("xref table cut short at entry %d", i)
		}
		e := string(entries[20*i : 20*i+20])
		if !regexp.MustCompile(`^\d{10} \d{5} [nf](\r\n| \n| \r)$`).MatchString(e) {
			t.Fatalf("xref entry %d is not 20 well-formed bytes: %q", i, e)
		}
		if i == 0 {
			if e[17] != 'f' {
				t.Errorf("entry 0 should be free: %q", e)
			}
			continue
		}
		off, _ := strconv.Atoi(e[:10])
		head := fmt.Sprintf("%d 0 obj", i)
		if !bytes.HasPrefix(b[off:], []byte(head)) {
			t.Fatalf("xref offset %d of object %d points at %q, want %q", off, i, b[off:min(len(b), off+12)], head)
		}
		end := bytes.Index(b[off:], []byte("endobj"))
		if end < 0 {
			t.Fatalf("object %d has no endobj", i)
		}
		info.objects[i] = string(b[off+len(head) : off+end])
	}
	trailer := regexp.MustCompile(`trailer\s*<<(.*?)>>`).FindSubmatch(b[xref:])
	if trailer == nil || !strings.Contains(string(trailer[1]), "/Size "+strconv.Itoa(size)) {
		t.Fatalf("trailer missing or with wrong /Size: %q", trailer)
	}
	root := regexp.MustCompile(`/Root (\d+) 0 R`).FindStringSubmatch(string(trailer[1]))
	if root == nil {
		t.Fatal("trailer has no /Root")
	}
	rootN, _ := strconv.Atoi(root[1])
	if !strings.Contains(info.objects[rootN], "/Type /Catalog") {
		t.Errorf("/Root %d is not a catalog: %q", rootN, info.objects[rootN])
	}

	pageRe := regexp.MustCompile(`/Type\s*/Page\b[^s]`)
	for _, body := range info.objects {
		if pageRe.MatchString(body) {
			info.pages++
			mb := regexp.MustCompile(`/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]`).FindStringSubmatch(body)
			if mb == nil {
				t.Fatal("page without /MediaBox")
			}
			for k := range 4 {
				info.mediaBox[k], _ = strconv.ParseFloat(mb[k+1], 64)
			}
		}
		if strings.Contains(body, "/Subtype /Image") {
			w := regexp.MustCompile(`/Width (\d+)`).FindStringSubmatch(body)
			h := regexp.MustCompile(`/Height (\d+)`).FindStringSubmatch(body)
			l := regexp.MustCompile(`/Length (\d+)`).FindStringSubmatch(body)
			if w == nil || h == nil || l == nil {
				t.Fatalf("image without size or length: %.200q", body)
			}
			info.imgW, _ = strconv.Atoi(w[1])
			info.imgH, _ = strconv.Atoi(h[1])
			n, _ := strconv.Atoi(l[1])
			i := strings.Index(body, "stream\n")
			if i < 0 || i+7+n > len(body) {
				t.Fatal("image stream shorter than its /Length")
			}
			info.imgStream = []byte(body[i+7 : i+7+n])
			if rest := body[i+7+n:]; !strings.HasPrefix(strings.TrimLeft(rest, "\r\n"), "endstream") {
				t.Fatalf("/Length does not end at endstream: %.20q", rest)
			}
		}
	}
	return info
}

func TestPDFEveryPageType(t *testing.T) {
	for pt, sz := range sheetSizes {
		for _, orient := range []string{"portrait", "landscape"} {
			b, err := PDF(superstore, pt, orient)
			if err != nil {
				t.Fatalf("%s %s: %v", pt, orient, err)
			}
			info := parsePDF(t, b)
			if info.pages != 1 {
				t.Errorf("%s %s: %d pages, want 1", pt, orient, info.pages)
			}
			wantW, wantH := sz[0], sz[1]
			if orient == "landscape" {
				wantW, wantH = wantH, wantW
			}
			mb := info.mediaBox
			if mb[0] != 0 || mb[1] != 0 || math.Abs(mb[2]-wantW) > 1 || math.Abs(mb[3]-wantH) > 1 {
				t.Errorf("%s %s: MediaBox %v, want about [0 0 %.1f %.1f]", pt, orient, mb, wantW, wantH)
			}
			// The chart is drawn at the page's aspect ratio.
			if got, want := float64(info.imgW)/float64(info.imgH), (mb[2]-72)/(mb[3]-72); math.Abs(got-want) > 0.01 {
				t.Errorf("%s %s: image %dx%d has aspect %.3f, page area %.3f", pt, orient, info.imgW, info.imgH, got, want)
			}
			if orient == "landscape" && info.imgW <= info.imgH || orient == "portrait" && info.imgW >= info.imgH {
				t.Errorf("%s %s: image %dx%d does not follow the orientation", pt, orient, info.imgW, info.imgH)
			}
		}
	}
}

func TestPDFImageIsTheChart(t *testing.T) {
	b, err := PDF(superstore, "a4", "landscape")
	if err != nil {
		t.Fatal(err)
	}
	info := parsePDF(t, b)
	zr, err := zlib.NewReader(bytes.NewReader(info.imgStream))
	if err != nil {
		t.Fatalf("image stream is not FlateDecode data: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 3*info.imgW*info.imgH {
		t.Fatalf("image data %d bytes, want %d (RGB %dx%d)", len(raw), 3*info.imgW*info.imgH, info.imgW, info.imgH)
	}
	bars := 0
	for i := 0; i+2 < len(raw); i += 3 {
		if raw[i] == colBar.R && raw[i+1] == colBar.G && raw[i+2] == colBar.B {
			bars++
		}
	}
	if bars < info.imgW*info.imgH/20 {
		t.Errorf("only %d bar pixels in the page image", bars)
	}
}

func TestPDFNamesAreCaseInsensitiveAndDefault(t *testing.T) {
	w, h, err := PageSize("A4", "Landscape")
	if err != nil || w != 842 || h != 595 {
		t.Errorf("PageSize(A4, Landscape) = %v %v %v", w, h, err)
	}
	w, h, err = PageSize("", "")
	if err != nil || w != 612 || h != 792 {
		t.Errorf("PageSize(empty) = %v %v %v, want letter portrait", w, h, err)
	}
	w, h, err = PageSize("unspecified", "portrait")
	if err != nil || w != 612 || h != 792 {
		t.Errorf("PageSize(unspecified) = %v %v %v, want letter", w, h, err)
	}
	if len(PageTypes) != len(sheetSizes) {
		t.Errorf("PageTypes lists %d types, the standard list has %d", len(PageTypes), len(sheetSizes))
	}
}

func TestPDFRejectsUnknownValues(t *testing.T) {
	for _, c := range [][2]string{{"a6", "portrait"}, {"letter", "sideways"}, {"../etc", ""}, {"a4", "diagonal"}} {
		if _, err := PDF(superstore, c[0], c[1]); err == nil {
			t.Errorf("PDF(%q, %q) succeeded, want an error", c[0], c[1])
		}
	}
}

func TestPDFTitleInInfo(t *testing.T) {
	c := superstore
	c.Title = "Ventes (été) \\ 2024"
	b, err := PDF(c, "letter", "portrait")
	if err != nil {
		t.Fatal(err)
	}
	info := parsePDF(t, b)
	found := false
	for _, body := range info.objects {
		if strings.Contains(body, "/Title "+pdfText(c.Title)) {
			found = true
		}
	}
	if !found {
		t.Error("document information does not carry the title")
	}
	if got := pdfText("Aé"); got != "<FEFF004100E9>" {
		t.Errorf("pdfText = %s", got)
	}
}

// TestPDFWithPoppler asks an independent PDF reader, when one is installed,
// whether the file is sound.
func TestPDFWithPoppler(t *testing.T) {
	pdfinfo, err := exec.LookPath("pdfinfo")
	if err != nil {
		t.Skip("pdfinfo not installed")
	}
	b, err := PDF(superstore, "legal", "landscape")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "view.pdf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdfinfo, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfinfo: %v\n%s", err, out)
	}
	s := string(out)
	if !regexp.MustCompile(`(?m)^Pages:\s+1$`).MatchString(s) || !strings.Contains(s, "1008 x 612 pts") {
		t.Errorf("pdfinfo says:\n%s", s)
	}
	if strings.Contains(strings.ToLower(s), "error") {
		t.Errorf("pdfinfo reports errors:\n%s", s)
	}
}

func BenchmarkPDF(b *testing.B) {
	for b.Loop() {
		if _, err := PDF(superstore, "letter", "portrait"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPDFTabloidLandscape(b *testing.B) {
	for b.Loop() {
		if _, err := PDF(superstore, "tabloid", "landscape"); err != nil {
			b.Fatal(err)
		}
	}
}
