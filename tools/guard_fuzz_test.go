package tools

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// FuzzDecodeArguments decodes arbitrary JSON as the arguments of any tool:
// never a panic; what is accepted names content only by exact parameter
// names, and only with LUIDs, which is what the scope checks.
func FuzzDecodeArguments(f *testing.F) {
	const id = "9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"
	f.Add(uint8(0), `{}`)
	f.Add(uint8(1), `{"workbook_id":"`+id+`"}`)
	f.Add(uint8(2), `{"WORKBOOK_ID":"`+id+`"}`)
	f.Add(uint8(3), `{"view_id":"`+id+`","view_filters":{"Region":"East"}}`)
	f.Add(uint8(4), `{"datasource_luid":"`+id+`","fields":[{"fieldCaption":"Region"}]}`)
	f.Add(uint8(4), `{"datasource_luid":"`+id+`","fields":"[{\"FieldCaption\":\"Region\"}]"}`)
	f.Add(uint8(5), `{"workbook_id":"`+id+`","new_project_id":"`+id+`","New_Project_Id":"x"}`)
	f.Add(uint8(6), `{"filter":"name:eq:a,tags:in:[x,y]","page_size":5}`)
	f.Add(uint8(7), `null`)
	f.Add(uint8(8), `[1,2]`)
	all := All()
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		tool := all[int(which)%len(all)]
		args, err := tool.Decode(json.RawMessage(raw))
		if err != nil {
			return
		}
		var top map[string]json.RawMessage
		if json.Unmarshal([]byte(raw), &top) == nil {
			names := map[string]bool{}
			for _, n := range paramNames(tool.ArgsType()) {
				names[n] = true
			}
			for k := range top {
				if !names[k] {
					t.Fatalf("%s accepted the key %q, which is not one of its parameters", tool.Name, k)
				}
			}
		}
		for _, r := range ContentRefs(args) {
			if !backend.IsLUID(r.ID) {
				t.Fatalf("%s accepted %s=%q, not a LUID", tool.Name, r.Param, r.ID)
			}
			if _, ok := contentParams[r.Param]; !ok {
				t.Fatalf("%s: ref under %q", tool.Name, r.Param)
			}
		}
	})
}

// FuzzResourceURI parses arbitrary URIs with every export template: never
// a panic; an accepted URI names one item, by LUID, of the template's
// collection, and its arguments are those of the template's tool.
func FuzzResourceURI(f *testing.F) {
	const id = "9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"
	for _, u := range []string{
		"tableau://views/" + id + "/image",
		"tableau://views/" + id + "/image?resolution=high&vf_Region=East",
		"tableau://views/" + id + "/data?vf_Region=East%2CWest&max_age=5",
		"tableau://workbooks/" + id + "/content?include_extract=false",
		"tableau://datasources/" + id + "/content",
		"tableau://VIEWS/" + id + "/image",
		"tableau://views/" + id + "/image?VIEW_ID=" + id,
		"tableau://views/../workbooks/" + id + "/content",
		"tableau://views/%2e%2e/image",
		"tableau://views/" + id + "/pdf?type=a4&orientation=landscape",
	} {
		f.Add(u)
	}
	resources := Resources()
	f.Fuzz(func(t *testing.T, uri string) {
		for _, r := range resources {
			args, err := r.Args(uri)
			if err != nil {
				continue
			}
			u, perr := url.Parse(uri)
			if perr != nil {
				t.Fatalf("%s accepted %q, which does not parse", r.Template.Name, uri)
			}
			collection := strings.SplitN(strings.TrimPrefix(r.Template.URITemplate.Raw(), "tableau://"), "/", 2)[0]
			if u.Host != collection {
				t.Fatalf("%s accepted %q of another collection", r.Template.Name, uri)
			}
			refs := ContentRefs(args)
			if len(refs) != 1 || !backend.IsLUID(refs[0].ID) || !strings.Contains(u.Path, refs[0].ID) {
				t.Fatalf("%s: %q names %+v", r.Template.Name, uri, refs)
			}
		}
	})
}
