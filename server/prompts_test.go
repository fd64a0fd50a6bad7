package server_test

import (
	"github.com/tableau-mcp/tableau-mcp/internal/mcptest"

	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// listed returns id -> name of a list tool's items, as a client reads them.
func (c *rawClient) listed(tool, plural, singular string) map[string]string {
	c.t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(textOf(c.tool(tool, map[string]any{"page_size": 1000}, nil))), &m); err != nil {
		c.t.Fatal(err)
	}
	out := map[string]string{}
	for _, o := range mcptest.List(m, plural, singular) {
		out[o["id"].(string)] = o["name"].(string)
	}
	return out
}

// complete asks completion/complete and returns the values and hasMore.
func (c *rawClient) complete(ref map[string]any, arg, value string) ([]string, map[string]any) {
	c.t.Helper()
	res := c.result(c.call("completion/complete", map[string]any{"ref": ref, "argument": map[string]any{"name": arg, "value": value}}))
	comp, _ := res["completion"].(map[string]any)
	raw, ok := comp["values"].([]any)
	if !ok {
		c.t.Fatalf("completion without values: %v", res)
	}
	var vals []string
	for _, v := range raw {
		vals = append(vals, v.(string))
	}
	return vals, comp
}

func template(uri string) map[string]any { return map[string]any{"type": "ref/resource", "uri": uri} }
func promptRef(name string) map[string]any {
	return map[string]any{"type": "ref/prompt", "name": name}
}

// want is the IDs (or names) of items whose name contains typed, computed
// from the list tool's answer.
func want(items map[string]string, typed string, ids bool) []string {
	var out []string
	seen := map[string]bool{}
	for id, name := range items {
		if strings.Contains(strings.ToLower(name), strings.ToLower(typed)) || (ids && strings.HasPrefix(id, typed)) {
			v := name
			if ids {
				v = id
			}
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

func sorted(v []string) []string {
	v = slices.Clone(v)
	sort.Strings(v)
	return v
}

func TestCompletionsOfEveryTemplateArgumentAndPromptArgument(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			u := newUpstream(t)
			c := rawOver(t, server.Options{Backend: u.backend(t), Tools: tools.All()}, tr)
			init := c.seen[0]["result"].(map[string]any)["capabilities"].(map[string]any)
			if init["completions"] == nil || init["prompts"] == nil {
				t.Errorf("completions or prompts not declared: %v", init)
			}
			views := c.listed("tableau_views_list", "views", "view")
			workbooks := c.listed("tableau_workbooks_list", "workbooks", "workbook")
			datasources := c.listed("tableau_datasources_list", "datasources", "datasource")
			if len(views) < 3 || len(workbooks) < 2 || len(datasources) < 2 {
				t.Fatalf("the demo site is too small to test: %d views, %d workbooks, %d data sources", len(views), len(workbooks), len(datasources))
			}
			for _, tc := range []struct {
				uri, arg, typed string
				items           map[string]string
			}{
				{"tableau://views/{view_id}/image", "view_id", "sales", views},
				{"tableau://views/{view_id}/data{?options*}", "view_id", "PROFIT", views},
				{"tableau://views/{view_id}/pdf", "view_id", "", views},
				{"tableau://workbooks/{workbook_id}/content", "workbook_id", "super", workbooks},
				{"tableau://datasources/{datasource_id}/content", "datasource_id", "", datasources},
				{"tableau://datasources/{datasource_id}/content{?options*}", "datasource_id", "orders", datasources},
			} {
				got, comp := c.complete(template(tc.uri), tc.arg, tc.typed)
				exp := want(tc.items, tc.typed, true)
				if len(exp) == 0 {
					t.Fatalf("%s %q: nothing on the site matches; choose another test value", tc.uri, tc.typed)
				}
				if !slices.Equal(sorted(got), exp) {
					t.Errorf("%s %s=%q: %v, want the IDs of %v", tc.uri, tc.arg, tc.typed, got, exp)
				}
				if comp["hasMore"] == true || comp["total"] != float64(len(exp)) {
					t.Errorf("%s: total %v hasMore %v for %d values", tc.uri, comp["total"], comp["hasMore"], len(exp))
				}
			}
			// An ID's first characters find it too.
			for id := range workbooks {
				if got, _ := c.complete(template("tableau://workbooks/{workbook_id}/content"), "workbook_id", id[:8]); !slices.Contains(got, id) {
					t.Errorf("typing %s did not offer workbook %s: %v", id[:8], id, got)
				}
				break
			}
			if got, _ := c.complete(template("tableau://views/{view_id}/image"), "workbook_id", ""); len(got) != 0 {
				t.Errorf("an argument the template does not have was completed: %v", got)
			}

			// Prompt arguments are completed with names.
			for _, tc := range []struct {
				prompt, arg, typed string
				items              map[string]string
			}{
				{"explore_datasource", "datasource", "super", datasources},
				{"explain_view", "view", "s", views},
				{"review_workbook_access", "workbook", "", workbooks},
			} {
				got, _ := c.complete(promptRef(tc.prompt), tc.arg, tc.typed)
				if exp := want(tc.items, tc.typed, false); !slices.Equal(sorted(got), exp) {
					t.Errorf("%s.%s=%q: %v, want %v", tc.prompt, tc.arg, tc.typed, got, exp)
				}
			}
			if got, _ := c.complete(promptRef("explore_datasource"), "question", "how"); len(got) != 0 {
				t.Errorf("a free-text argument was completed: %v", got)
			}
		})
	}
}

func TestCompletionsKeepToTheScopeAndTheSelection(t *testing.T) {
	u := newUpstream(t)
	b := u.backend(t)
	open := rawOver(t, server.Options{Backend: b}, "stdio")
	var wb, other string
	for id, name := range open.listed("tableau_workbooks_list", "workbooks", "workbook") {
		if name == "Superstore Sales" {
			wb = id
		} else {
			other = id
		}
	}
	if wb == "" || other == "" {
		t.Fatal("the demo site lacks the workbooks this test needs")
	}
	scoped := rawOver(t, server.Options{Backend: b, Scope: server.Scope{Workbooks: []string{wb}}}, "stdio")
	got, _ := scoped.complete(template("tableau://workbooks/{workbook_id}/content"), "workbook_id", "")
	if !slices.Equal(got, []string{wb}) {
		t.Errorf("scoped to one workbook, completion offered %v", got)
	}
	// Views: only those of the workbook in scope.
	inScope := map[string]bool{}
	var m map[string]any
	json.Unmarshal([]byte(textOf(open.tool("tableau_views_list", map[string]any{"page_size": 1000}, nil))), &m)
	for _, v := range mcptest.List(m, "views", "view") {
		if v["workbook"].(map[string]any)["id"] == wb {
			inScope[v["id"].(string)] = true
		}
	}
	got, _ = scoped.complete(template("tableau://views/{view_id}/image"), "view_id", "")
	if len(got) == 0 || len(got) != len(inScope) {
		t.Errorf("scoped view completion %v, want the %d views of the workbook in scope", got, len(inScope))
	}
	for _, id := range got {
		if !inScope[id] {
			t.Errorf("view %s outside the scope offered", id)
		}
	}

	// Without the list tool, nothing is offered; without the export tool,
	// its template is not even there.
	var sel []tools.Tool
	for _, n := range []string{"tableau_view_image_get", "tableau_workbooks_list"} {
		tl, err := tools.ByName(n)
		if err != nil {
			t.Fatal(err)
		}
		sel = append(sel, tl)
	}
	narrow := rawOver(t, server.Options{Backend: b, Tools: sel}, "stdio")
	if got, _ := narrow.complete(template("tableau://views/{view_id}/image"), "view_id", ""); len(got) != 0 {
		t.Errorf("views offered without tableau_views_list served: %v", got)
	}
	if got, _ := narrow.complete(template("tableau://workbooks/{workbook_id}/content"), "workbook_id", ""); len(got) != 0 {
		t.Errorf("workbooks offered for a template whose tool is not served: %v", got)
	}
	prompts := narrow.result(narrow.call("prompts/list", nil))["prompts"].([]any)
	if len(prompts) != 0 {
		t.Errorf("prompts offered without their tools: %v", prompts)
	}
}

var toolName = regexp.MustCompile(`tableau_[a-z_]+`)

func TestEachPromptsMessages(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr, func(t *testing.T) {
			u := newUpstream(t)
			c := rawOver(t, server.Options{Backend: u.backend(t), Tools: tools.All()}, tr)
			served := map[string]bool{}
			for _, tl := range c.result(c.call("tools/list", nil))["tools"].([]any) {
				served[tl.(map[string]any)["name"].(string)] = true
			}
			list := c.result(c.call("prompts/list", nil))["prompts"].([]any)
			args := map[string]map[string]any{
				"explore_datasource":     {"datasource": "Superstore Orders", "question": "Which region sold most in 2024?"},
				"explain_view":           {"view": "Sales by Region"},
				"find_content":           {"topic": "profit"},
				"review_workbook_access": {"workbook": "00000000-0000-4000-8000-00000000beef"},
			}
			mentions := map[string][]string{
				"explore_datasource":     {"Superstore Orders", "Which region sold most in 2024?", "tableau_datasource_metadata_get", "tableau_query_view"},
				"explain_view":           {"Sales by Region", "tableau_view_image_get", "tableau_view_data_get"},
				"find_content":           {"profit", "tableau_workbooks_list", "tableau_views_list", "tableau_datasources_list"},
				"review_workbook_access": {"ID 00000000-0000-4000-8000-00000000beef", "tableau_workbook_permissions_list", "tableau_group_users_list"},
			}
			if len(list) != len(args) {
				t.Fatalf("%d prompts listed, want %d: %v", len(list), len(args), list)
			}
			for _, p := range list {
				pm := p.(map[string]any)
				name := pm["name"].(string)
				if pm["description"] == "" || len(pm["arguments"].([]any)) == 0 {
					t.Errorf("prompt %s has no description or arguments", name)
				}
				res := c.result(c.call("prompts/get", map[string]any{"name": name, "arguments": args[name]}))
				msgs := res["messages"].([]any)
				if len(msgs) != 1 {
					t.Fatalf("%s: %d messages", name, len(msgs))
				}
				msg := msgs[0].(map[string]any)
				text := msg["content"].(map[string]any)["text"].(string)
				if msg["role"] != "user" {
					t.Errorf("%s: role %v", name, msg["role"])
				}
				for _, w := range mentions[name] {
					if !strings.Contains(text, w) {
						t.Errorf("%s: message does not mention %q:\n%s", name, w, text)
					}
				}
				for _, tl := range toolName.FindAllString(text, -1) {
					if !served[tl] {
						t.Errorf("%s names %s, which the server does not serve", name, tl)
					}
				}
			}
			bad := c.answer(c.call("prompts/get", map[string]any{"name": "explain_view", "arguments": map[string]any{}}))
			if e, _ := bad["error"].(map[string]any); e == nil || !strings.Contains(e["message"].(string), "view") {
				t.Errorf("a missing argument: %v", bad)
			}
		})
	}
	// With fewer tools served, a prompt names only those.
	u := newUpstream(t)
	sel, err := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"workbooks", "permissions"}})
	if err != nil {
		t.Fatal(err)
	}
	c := rawOver(t, server.Options{Backend: u.backend(t), Tools: sel}, "stdio")
	res := c.result(c.call("prompts/get", map[string]any{"name": "review_workbook_access", "arguments": map[string]any{"workbook": "Superstore Sales"}}))
	text := res["messages"].([]any)[0].(map[string]any)["content"].(map[string]any)["text"].(string)
	if strings.Contains(text, "tableau_group_users_list") {
		t.Errorf("the prompt names a tool not served:\n%s", text)
	}
}
