package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// Scope bounds the content the server will touch, so that an operator can
// hand an agent one corner of a site. Empty lists mean no bound.
//
// A workbook or data source is in scope when its ID is listed, its project
// is listed, or it carries a listed tag. A view is in scope when its
// workbook is. A project is in scope only when it is listed (nested projects
// are not included: list them too). Users, groups, jobs, schedules and the
// site itself are not content and are not bounded by the scope.
type Scope struct {
	Projects, Workbooks, Datasources, Tags []string
}

// Active reports whether any bound is set.
func (s Scope) Active() bool {
	return len(s.Projects)+len(s.Workbooks)+len(s.Datasources)+len(s.Tags) > 0
}

// scoper enforces a Scope: before a call it refuses arguments naming
// out-of-scope content, after a call it removes out-of-scope items from the
// collections the answer lists. Facts it must look up (a workbook's project
// and tags, a view's workbook) are read once with the get tools
// (tools.Describe), through the backend like any call, and cached.
type scoper struct {
	projects, workbooks, datasources, tags map[string]bool
	env                                    *tools.Env
	ttl                                    time.Duration

	mu    sync.Mutex
	cache map[string]fact
}

// fact is what the scope needs to know about one item.
type fact struct {
	project, workbook, datasource string
	tags                          []string
	at                            time.Time
}

func newScoper(s Scope, env *tools.Env) *scoper {
	set := func(l []string, fold bool) map[string]bool {
		m := map[string]bool{}
		for _, v := range l {
			if v = strings.TrimSpace(v); v != "" {
				if fold {
					v = strings.ToLower(v)
				}
				m[v] = true
			}
		}
		return m
	}
	return &scoper{
		projects: set(s.Projects, true), workbooks: set(s.Workbooks, true),
		datasources: set(s.Datasources, true), tags: set(s.Tags, true),
		env: env, ttl: 2 * time.Minute, cache: map[string]fact{},
	}
}

// check refuses typed arguments (as tools.Tool.Decode returns them) that
// name content outside the scope. It reads the values the tool will send,
// so no spelling of a parameter's name can slip an ID past it.
func (s *scoper) check(ctx context.Context, t tools.Tool, args any) *refusal {
	if t.Toolset == "pulse" {
		return refused("scope", "%s: Pulse metrics are defined over data sources across the whole site, which this server's scope (set by the operator) cannot bound, so Pulse is not available under a scope", t.Name)
	}
	refs := tools.ContentRefs(args)
	if t.Name == "tableau_project_create" && len(s.projects) > 0 && !slices.ContainsFunc(refs, func(r tools.Ref) bool { return r.Param == "parent_project_id" }) {
		return refused("scope", "a top-level project would be outside the content this server is allowed to touch (its scope is set by the operator): give parent_project_id, one of the projects tableau_projects_list shows")
	}
	for _, ref := range refs {
		if !backend.IsLUID(ref.ID) {
			return refused("scope", "%s: %s must be a Tableau LUID string", t.Name, ref.Param)
		}
		in, err := s.allows(ctx, ref.Kind, ref.ID)
		if err != nil {
			if ctx.Err() != nil {
				return refused("scope", "%s: the call ended before its scope could be checked: %v", t.Name, ctx.Err())
			}
			return refused("scope", "%s: could not check %s %s against the server's scope: %v", t.Name, ref.Kind, ref.ID, err)
		}
		if !in {
			return refused("scope", "%s: %s %s is outside the content this server is allowed to touch (its scope is set by the operator); use an item that the list tools show", t.Name, ref.Kind, ref.ID)
		}
	}
	return nil
}

// allows reports whether the item of kind with id is in scope.
func (s *scoper) allows(ctx context.Context, kind, id string) (bool, error) {
	id = strings.ToLower(id)
	switch kind {
	case "project":
		return s.projects[id], nil
	case "workbook":
		return s.workbookIn(ctx, id, "")
	case "datasource":
		if s.datasources[id] {
			return true, nil
		}
		if len(s.projects) == 0 && len(s.tags) == 0 {
			return false, nil
		}
		f, err := s.lookup(ctx, "datasource", id)
		if err != nil {
			return false, err
		}
		return s.projects[f.project] || s.tagged(f.tags), nil
	case tools.KindFlow:
		f, err := s.lookup(ctx, kind, id)
		if err != nil {
			return false, err
		}
		return s.projects[f.project] || s.tagged(f.tags), nil
	case "view", tools.KindCustomView:
		f, err := s.lookup(ctx, kind, id)
		if err != nil {
			return false, err
		}
		return s.workbookIn(ctx, f.workbook, f.project)
	case tools.KindTask:
		f, err := s.lookup(ctx, kind, id)
		if err != nil {
			return false, err
		}
		return s.refreshIn(ctx, f.workbook, f.datasource)
	}
	return false, nil
}

// refreshIn reports whether what an extract refresh task refreshes (its
// workbook or its data source) is in scope; a task naming neither is not.
func (s *scoper) refreshIn(ctx context.Context, workbook, datasource string) (bool, error) {
	switch {
	case workbook != "":
		return s.workbookIn(ctx, strings.ToLower(workbook), "")
	case datasource != "":
		return s.allows(ctx, "datasource", datasource)
	}
	return false, nil
}

// workbookIn reports whether a workbook is in scope; project, when known,
// spares a lookup.
func (s *scoper) workbookIn(ctx context.Context, id, project string) (bool, error) {
	if s.workbooks[id] || (project != "" && s.projects[project]) {
		return true, nil
	}
	if id == "" || (len(s.tags) == 0 && (project != "" || len(s.projects) == 0)) {
		return false, nil
	}
	f, err := s.lookup(ctx, "workbook", id)
	if err != nil {
		return false, err
	}
	return s.projects[f.project] || s.tagged(f.tags), nil
}

func (s *scoper) tagged(tags []string) bool {
	for _, t := range tags {
		if s.tags[strings.ToLower(t)] {
			return true
		}
	}
	return false
}

// lookup reads an item's project, workbook and tags, cached for a while.
func (s *scoper) lookup(ctx context.Context, kind, id string) (fact, error) {
	key := kind + "/" + id
	s.mu.Lock()
	f, ok := s.cache[key]
	s.mu.Unlock()
	if ok && time.Since(f.at) < s.ttl {
		return f, nil
	}
	p, err := tools.Describe(ctx, s.env, kind, id)
	if err != nil {
		return fact{}, err
	}
	f = fact{project: p.Project, workbook: p.Workbook, datasource: p.Datasource, tags: p.Tags}
	f.at = time.Now()
	s.mu.Lock()
	if len(s.cache) > 10000 {
		s.cache = map[string]fact{}
	}
	s.cache[key] = f
	s.mu.Unlock()
	return f, nil
}

// factOf reads what the scope needs from an item of a list answer.
func factOf(item map[string]any) fact {
	p := tools.PlacementOf(item)
	return fact{project: p.Project, workbook: p.Workbook, tags: p.Tags}
}

// collections are the lists in Tableau answers that the scope filters.
var collections = []struct{ outer, inner, kind string }{
	{"workbooks", "workbook", "workbook"},
	{"datasources", "datasource", "datasource"},
	{"views", "view", "view"},
	{"projects", "project", "project"},
	{"customViews", "customView", tools.KindCustomView},
	{"flows", "flow", tools.KindFlow},
	{"flowRuns", "flowRuns", "flowRun"},
	{"tasks", "task", "flowTask"},
}

// filter removes out-of-scope items from the answer's collections. Items
// whose scope cannot be checked are removed too.
func (s *scoper) filter(ctx context.Context, res *mcp.CallToolResult) *mcp.CallToolResult {
	for i, c := range res.Content {
		tc, ok := c.(mcp.TextContent)
		if !ok || !strings.HasPrefix(strings.TrimSpace(tc.Text), "{") {
			continue
		}
		var doc map[string]any
		if json.Unmarshal([]byte(tc.Text), &doc) != nil {
			continue
		}
		removed := 0
		for _, col := range collections {
			// Compact results list the items under the plural; Tableau's
			// JSON nests them as plural.singular[].
			items, compact := doc[col.outer].([]any)
			outer, ok := doc[col.outer].(map[string]any)
			if !compact {
				if !ok {
					continue
				}
				if items, ok = outer[col.inner].([]any); !ok {
					continue
				}
			}
			kept := make([]any, 0, len(items))
			for _, it := range items {
				m, _ := it.(map[string]any)
				if m != nil && s.itemIn(ctx, col.kind, m) {
					kept = append(kept, it)
				}
			}
			removed += len(items) - len(kept)
			if compact {
				doc[col.outer] = kept
			} else {
				outer[col.inner] = kept
			}
		}
		if removed == 0 {
			continue
		}
		doc["scopeNote"] = fmt.Sprintf("%d item(s) outside the content this server may touch were removed from this page; pagination counts still include them.", removed)
		b, err := json.Marshal(doc)
		if err != nil {
			continue
		}
		tc.Text = string(b)
		res.Content[i] = tc
	}
	return res
}

// itemIn decides for one listed item, using what the listing says of it.
func (s *scoper) itemIn(ctx context.Context, kind string, m map[string]any) bool {
	id, _ := m["id"].(string)
	id = strings.ToLower(id)
	f := factOf(m)
	switch kind {
	case "project":
		return s.projects[id]
	case "workbook":
		if s.workbooks[id] || s.projects[f.project] || s.tagged(f.tags) {
			return true
		}
		return false
	case "datasource":
		return s.datasources[id] || s.projects[f.project] || s.tagged(f.tags)
	case tools.KindFlow:
		return s.projects[f.project] || s.tagged(f.tags)
	case "flowTask":
		// Flow tasks wrap the task under flowRun (bare, with its flow, in
		// compact results); extract refresh tasks,
		// listed under the same keys (wrapped in extractRefresh, or bare in
		// compact results), follow what they refresh.
		run, ok := m["flowRun"].(map[string]any)
		if _, bare := m["flow"].(map[string]any); !ok && bare {
			run, ok = m, true // a compact flow task
		}
		if !ok {
			er, wrapped := m["extractRefresh"].(map[string]any)
			if !wrapped {
				er = m
			}
			ref := func(k string) string {
				r, _ := er[k].(map[string]any)
				id, _ := r["id"].(string)
				return id
			}
			in, err := s.refreshIn(ctx, ref("workbook"), ref("datasource"))
			return err == nil && in
		}
		flow, _ := run["flow"].(map[string]any)
		id, _ := flow["id"].(string)
		in, err := s.allows(ctx, tools.KindFlow, id)
		return err == nil && in
	case "flowRun":
		flow, _ := m["flowId"].(string)
		in, err := s.allows(ctx, tools.KindFlow, flow)
		return err == nil && in
	case "view", tools.KindCustomView:
		in, err := s.workbookIn(ctx, f.workbook, f.project)
		return err == nil && in
	}
	return false
}
