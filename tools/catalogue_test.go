package tools

import (
	"bufio"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// catalogueRow is one line of testdata/catalogue.tsv, a copy of the tool
// catalogue's table: name, source, kind and parameters (* = required).
type catalogueRow struct {
	name, src, kind string
	params          map[string]bool // name -> required
}

// pending lists catalogue tools that later work adds; remove a name when
// its tool is registered.
var pending = map[string]bool{}

func readCatalogue(t *testing.T) map[string]catalogueRow {
	t.Helper()
	f, err := os.Open("testdata/catalogue.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	annot := regexp.MustCompile(`\((array|object)\)`)
	rows := map[string]catalogueRow{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("bad catalogue line %q", sc.Text())
		}
		r := catalogueRow{name: cols[0], src: cols[1], kind: cols[2], params: map[string]bool{}}
		ps := annot.ReplaceAllString(cols[3], "")
		ps = strings.NewReplacer("(+ new:", ",", ")", "").Replace(ps)
		for _, p := range strings.Split(ps, ",") {
			p = strings.TrimSpace(p)
			if p == "" || p == "—" {
				continue
			}
			req := strings.HasSuffix(p, "*")
			r.params[strings.TrimSuffix(p, "*")] = req
		}
		rows[r.name] = r
	}
	if len(rows) < 50 {
		t.Fatalf("catalogue has only %d rows", len(rows))
	}
	return rows
}

func schemaOf(t *testing.T, tool Tool) map[string]any {
	t.Helper()
	def, err := tool.MCP()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(def.RawInputSchema, &m); err != nil {
		t.Fatalf("%s: schema is not JSON: %v", tool.Name, err)
	}
	return m
}

func TestEveryToolMatchesTheCatalogue(t *testing.T) {
	cat := readCatalogue(t)
	seen := map[string]bool{}
	for _, tool := range All() {
		if seen[tool.Name] {
			t.Errorf("%s registered twice", tool.Name)
		}
		seen[tool.Name] = true
		row, ok := cat[tool.Name]
		if !ok {
			t.Errorf("%s is not in the catalogue", tool.Name)
			continue
		}
		if string(tool.Source) != row.src {
			t.Errorf("%s: source %s, catalogue says %s", tool.Name, tool.Source, row.src)
		}
		if tool.Kind.String() != row.kind {
			t.Errorf("%s: kind %s, catalogue says %s", tool.Name, tool.Kind, row.kind)
		}
		s := schemaOf(t, tool)
		props, _ := s["properties"].(map[string]any)
		required := map[string]bool{}
		if rs, ok := s["required"].([]any); ok {
			for _, r := range rs {
				required[r.(string)] = true
			}
		}
		var got, want []string
		for p := range props {
			got = append(got, p)
		}
		for p, req := range row.params {
			want = append(want, p)
			if required[p] != req {
				t.Errorf("%s: parameter %s required=%v, catalogue says %v", tool.Name, p, required[p], req)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: parameters %v, catalogue says %v", tool.Name, got, want)
		}
	}
	for name := range cat {
		if !seen[name] && !pending[name] {
			t.Errorf("catalogue tool %s is not registered", name)
		}
		if seen[name] && pending[name] {
			t.Errorf("%s is registered: remove it from pending", name)
		}
	}
}

func TestAnnotationsAreHonest(t *testing.T) {
	for _, tool := range All() {
		def, err := tool.MCP()
		if err != nil {
			t.Fatal(err)
		}
		a := def.Annotations
		// Hints left out take the protocol's defaults: readOnly false,
		// destructive true, idempotent false, openWorld true.
		readOnly := a.ReadOnlyHint != nil && *a.ReadOnlyHint
		destructive := a.DestructiveHint == nil || *a.DestructiveHint
		idempotent := a.IdempotentHint != nil && *a.IdempotentHint
		if a.OpenWorldHint != nil && !*a.OpenWorldHint {
			t.Errorf("%s: every tool reaches Tableau; openWorldHint must not be false", tool.Name)
		}
		switch tool.Kind {
		case Read:
			if !readOnly {
				t.Errorf("%s: a read tool must say it is read-only", tool.Name)
			}
		case Write:
			if readOnly || destructive {
				t.Errorf("%s: a write tool is neither read-only nor destructive", tool.Name)
			}
			if idempotent != tool.Idempotent {
				t.Errorf("%s: idempotentHint %v, tool says %v", tool.Name, idempotent, tool.Idempotent)
			}
		case Destructive:
			if readOnly || !destructive {
				t.Errorf("%s: a destructive tool must say so", tool.Name)
			}
		}
		if tool.Title == "" || (tool.Kind == Destructive && a.Title != tool.Title) {
			t.Errorf("%s has no title", tool.Name)
		}
	}
}

// TestDescriptionsAreWhole catches descriptions cut short (the invopop comma
// pitfall) or missing: every tool and parameter description is a sentence.
func TestDescriptionsAreWhole(t *testing.T) {
	selfDescribing := map[string]bool{}
	for _, n := range strings.Fields("page_number page_size resolution include_usage_statistics incremental_extract is_certified content_permissions viz_width viz_height format orientation type name description email full_name state grantee_type capability_mode") {
		selfDescribing[n] = true
	}
	var walk func(tool, path string, node map[string]any)
	walk = func(tool, path string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			pm := p.(map[string]any)
			d, _ := pm["description"].(string)
			// Some parameters say what they are by their name, enum or
			// bounds; a description would only repeat it.
			if d == "" && selfDescribing[name] {
				continue
			}
			if path == "" && (d == "" || !strings.HasSuffix(strings.TrimSpace(d), ".")) {
				t.Errorf("%s: parameter %s has a description that is missing or cut short: %q", tool, name, d)
			}
			walk(tool, path+"."+name, pm)
			if items, ok := pm["items"].(map[string]any); ok {
				walk(tool, path+"."+name+"[]", items)
			}
		}
	}
	for _, tool := range All() {
		if len(tool.Description) < 40 || !strings.HasSuffix(tool.Description, ".") {
			t.Errorf("%s: description missing or cut short: %q", tool.Name, tool.Description)
		}
		walk(tool.Name, "", schemaOf(t, tool))
	}
}

func TestSchemasAreValidJSONSchemaObjects(t *testing.T) {
	for _, tool := range All() {
		def, _ := tool.MCP()
		var s jsonschema.Schema
		if err := json.Unmarshal(def.RawInputSchema, &s); err != nil {
			t.Errorf("%s: %v", tool.Name, err)
			continue
		}
		if _, err := s.Resolve(nil); err != nil {
			t.Errorf("%s: not a valid JSON Schema: %v", tool.Name, err)
		}
		if s.Type != "object" {
			t.Errorf("%s: input schema type is %q, want object", tool.Name, s.Type)
		}
		for _, r := range s.Required {
			if _, ok := s.Properties[r]; !ok {
				t.Errorf("%s: required %q is not a property", tool.Name, r)
			}
		}
	}
}
