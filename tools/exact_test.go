package tools

import (
	"strings"
	"testing"
)

// A key that matches a parameter only when case is ignored is refused,
// naming the parameter, at the top level and inside nested members;
// the typed arguments are what the guards read.
func TestArgumentNamesMustBeExact(t *testing.T) {
	const id = "9f2c1b52-6d1e-4c1a-8a4e-0c6f3a1b2d3e"
	cases := []struct {
		tool string
		args map[string]any
		want string
	}{
		{"tableau_workbook_delete", map[string]any{"WORKBOOK_ID": id}, `write "workbook_id"`},
		{"tableau_view_data_get", map[string]any{"View_Id": id}, `write "view_id"`},
		{"tableau_workbook_update", map[string]any{"workbook_id": id, "New_Project_Id": id}, `write "new_project_id"`},
		{"tableau_datasource_download", map[string]any{"DATASOURCE_ID": id}, `write "datasource_id"`},
		{"tableau_query_view", map[string]any{"DATASOURCE_LUID": id, "fields": []any{map[string]any{"fieldCaption": "Region"}}}, `write "datasource_luid"`},
		{"tableau_query_view", map[string]any{"datasource_luid": id, "fields": []any{map[string]any{"FieldCaption": "Region"}}}, `fields[0] has no member "FieldCaption"`},
		{"tableau_query_view", map[string]any{"datasource_luid": id, "fields": `[{"fieldcaption":"Region"}]`}, `write "fieldCaption"`},
	}
	for _, c := range cases {
		tool, err := ByName(c.tool)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tool.Decode(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v, want %q", c.tool, c.args, err, c.want)
		}
	}
	// Spelled exactly, the typed arguments carry the ID the guards check.
	tool, _ := ByName("tableau_workbook_update")
	args, err := tool.Decode(map[string]any{"workbook_id": id, "new_project_id": strings.ToUpper(id)})
	if err != nil {
		t.Fatal(err)
	}
	refs := ContentRefs(args)
	if len(refs) != 2 || refs[0] != (Ref{"workbook_id", KindWorkbook, id}) || refs[1] != (Ref{"new_project_id", KindProject, strings.ToUpper(id)}) {
		t.Errorf("content named: %+v", refs)
	}
}
