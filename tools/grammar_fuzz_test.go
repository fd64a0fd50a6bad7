package tools

import (
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// termShape is what every accepted filter term starts with, written
// independently of CheckFilter from the grammar in the tool descriptions.
var termShape = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*:(eq|gt|gte|lt|lte|in|has|cieq):(?s:.)`)

// topLevelTerms splits on commas outside brackets, the way a reader of the
// grammar would.
func topLevelTerms(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// FuzzFilterAndSortGrammar: the checks never panic, refuse with a bounded
// message, and what they accept has the grammar's shape and reaches Tableau
// as exactly one filter and one sort parameter.
func FuzzFilterAndSortGrammar(f *testing.F) {
	for _, s := range []string{
		"name:eq:Sales Overview", "ownerName:eq:jane@example.com", "updatedAt:gt:2025-01-01T00:00:00Z",
		"tags:in:[finance,ops]", "name:eq:a,projectName:cieq:b", "name:has:[x]", "name:in:[]", "name:in:[a,[b]]",
		"name:eq:a&pageSize=1000", "name:eq:", ":eq:x", "name:like:x", "name:eq:a]b", "name:eq:[a", "a:b:c:d",
		"name:eq:a\r\nX-Evil: 1", "na me:eq:x", "name:eq:x,", ",", "", "updatedAt:desc,name:asc", "name:ASC", "name",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, which := range []string{"filter", "sort"} {
			check := CheckFilter
			if which == "sort" {
				check = CheckSort
			}
			err := check(expr)
			if err != nil {
				if msg := err.Error(); msg == "" || len(msg) > 600 || !utf8.ValidString(msg) {
					t.Fatalf("%s %q: unbounded or empty message %q", which, expr, msg)
				}
				continue
			}
			q := ListArgs{Filter: expr}.query()
			if which == "sort" {
				q = ListArgs{Sort: expr}.query()
			}
			back, perr := url.ParseQuery(q.Encode())
			if perr != nil || len(back) != 1 || back.Get(which) != expr || len(back[which]) != 1 {
				t.Fatalf("%s %q reaches Tableau as %q", which, expr, q.Encode())
			}
			for _, term := range topLevelTerms(expr) {
				if which == "filter" && (!termShape.MatchString(term) || strings.Contains(term, "&") || strings.ContainsFunc(term, unicode.IsControl)) {
					t.Fatalf("filter %q accepted with term %q", expr, term)
				}
				if which == "sort" && !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*:(asc|desc)$`).MatchString(term) {
					t.Fatalf("sort %q accepted with term %q", expr, term)
				}
			}
		}
	})
}

// FuzzViewFilters: filters a view export accepts become exactly their
// vf_<field>=value parameters, nothing more, and survive the round trip
// through the export's tableau:// URI unchanged.
func FuzzViewFilters(f *testing.F) {
	for _, s := range [][4]string{
		{"Region", "East", "", ""}, {"Region", "East,West", "Category", "Furniture"}, {"vf_Region", "East", "Region", "West"},
		{"Order Date", "2024-01-01", "Sub-Category", "Chairs & Tables"}, {"a=b&c", "d", "", ""}, {"Region", "East\r\nX-Evil: 1", "", ""},
		{"", "x", "", ""}, {" ", "x", "", ""}, {"Région", "Île-de-France", "名前", "値"}, {"Region", "100%", "Q", "a+b c"},
	} {
		f.Add(s[0], s[1], s[2], s[3])
	}
	tool, err := ByName("tableau_view_image_get")
	if err != nil {
		f.Fatal(err)
	}
	var def resourceDef
	for _, d := range resourceDefs {
		if d.tool == tool.Name {
			def = d
		}
	}
	const view = "5c6a0d6e-8a3a-4b5e-9c41-0d2f8e7a9b10"
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		filters := map[string]any{}
		if k1 != "" || v1 != "" {
			filters[k1] = v1
		}
		if k2 != "" || v2 != "" {
			filters[k2] = v2
		}
		a, err := tool.decode(map[string]any{"view_id": view, "view_filters": filters})
		if err != nil {
			if msg := err.Error(); msg == "" || len(msg) > 1000 {
				t.Fatalf("unbounded or empty message %q", msg)
			}
			return
		}
		x := a.(exporter).export()
		// Exactly one vf_ parameter per field, with the value given.
		want := url.Values{}
		for k, v := range a.(*ViewImageArgs).ViewFilters {
			want.Set("vf_"+strings.TrimPrefix(k, "vf_"), v)
		}
		got, perr := url.ParseQuery(x.req.Query.Encode())
		if perr != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("filters %q reach Tableau as %q, want %q", filters, x.req.Query.Encode(), want.Encode())
		}
		for k, v := range got {
			if strings.ContainsFunc(k+v[0], unicode.IsControl) {
				t.Fatalf("a control character reaches Tableau: %q=%q", k, v[0])
			}
		}
		// The resource URI of the result reads back as the same export.
		back, err := resourceArgsOf(def, x.uri)
		if err != nil {
			t.Fatalf("the export's own URI %s is refused: %v", x.uri, err)
		}
		y := back.(exporter).export()
		if y.req.Query.Encode() != x.req.Query.Encode() || y.uri != x.uri {
			t.Fatalf("round trip through %s changed the export: %q -> %q", x.uri, x.req.Query.Encode(), y.req.Query.Encode())
		}
	})
}

// FuzzContentDispositionName: whatever name Tableau (or something in its
// place) sends, the file written is a plain name in the export directory:
// no directory parts, no control or reserved characters, not hidden, not a
// device name, bounded, with the format's extension.
func FuzzContentDispositionName(f *testing.F) {
	for _, s := range []string{
		`attachment; filename="Superstore.twbx"`, `attachment; filename*=UTF-8''Sales%20%E2%82%AC.pdf`,
		`attachment; filename="../../etc/passwd"`, `attachment; filename="..\..\Windows\win.ini"`, `attachment; filename=".bashrc"`,
		`attachment; filename="CON.png"`, `attachment; filename="a\x00b.png"`, `attachment; filename="` + strings.Repeat("é", 300) + `.png"`,
		`attachment; filename="x.png.exe"`, `attachment; filename=`, `inline`, ``, `attachment; filename="   .  "`,
		`attachment; filename="a/b/c.PNG"`, `attachment; filename="lpt1"`, "attachment; filename=\"a\u2028b\"", `attachment; filename="<>:|?*.png"`,
	} {
		f.Add(s, "view-1")
	}
	f.Fuzz(func(t *testing.T, disposition, fallback string) {
		for _, format := range []format{fmtPNG, fmtTWBX, fmtCSV} {
			name := fileName(disposition, format, fallback)
			base := strings.TrimSuffix(name, format.ext)
			switch {
			case !strings.HasSuffix(name, format.ext) || base == "":
				t.Fatalf("%q -> %q: not a name with extension %s", disposition, name, format.ext)
			case len(name) > maxNameBytes || !utf8.ValidString(name):
				t.Fatalf("%q -> %q: too long or not UTF-8", disposition, name)
			case strings.ContainsAny(name, `/\<>:"|?*`) || strings.ContainsFunc(name, unicode.IsControl) || strings.ContainsAny(name, "\u2028\u2029"):
				t.Fatalf("%q -> %q: holds a separator, reserved or control character", disposition, name)
			case strings.HasPrefix(name, ".") || strings.HasSuffix(base, " ") || strings.HasSuffix(base, "."):
				t.Fatalf("%q -> %q: hidden or with a trailing dot or space", disposition, name)
			case reservedName(base):
				t.Fatalf("%q -> %q: a device name", disposition, name)
			case filepath.Base(name) != name || filepath.Clean(name) != name:
				t.Fatalf("%q -> %q: not a plain file name", disposition, name)
			}
		}
	})
}
