package server

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/tools"
)

// Completions (completion/complete) offer the views, workbooks and data
// sources whose names match what the user has typed: IDs for the resource
// templates' {view_id}, {workbook_id} and {datasource_id}, names for the
// prompts' arguments. Names are read with the list tool of their kind,
// called through the guarded path like any call, so the selection, the
// caller's limits and the scope decide what is offered.

// maxCompletions is the protocol's limit on values in one answer.
const maxCompletions = 100

// completionTTL is how long one caller's list of a kind is kept, so that
// completing as the user types does not list the site at every key.
const completionTTL = 30 * time.Second

// contentKind is a kind of content completions offer.
type contentKind struct {
	name, tool, outer, inner string
}

var contentKinds = map[string]contentKind{
	"view":       {"view", "tableau_views_list", "views", "view"},
	"workbook":   {"workbook", "tableau_workbooks_list", "workbooks", "workbook"},
	"datasource": {"datasource", "tableau_datasources_list", "datasources", "datasource"},
}

// templateKinds maps a resource template's ID parameter to its kind.
var templateKinds = map[string]string{"view_id": "view", "workbook_id": "workbook", "datasource_id": "datasource"}

type named struct{ id, name string }

type nameList struct {
	items []named
	at    time.Time
}

// completer keeps each caller's recent lists.
type completer struct {
	mu    sync.Mutex
	cache map[string]nameList // identity + kind
}

func newCompleter() *completer { return &completer{cache: map[string]nameList{}} }

func (c *completer) get(key string) ([]named, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.cache[key]
	if !ok || time.Since(l.at) > completionTTL {
		return nil, false
	}
	return l.items, true
}

func (c *completer) put(key string, items []named) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.cache) > 1000 {
		for k, l := range c.cache {
			if time.Since(l.at) > completionTTL {
				delete(c.cache, k)
			}
		}
		if len(c.cache) > 1000 {
			c.cache = map[string]nameList{}
		}
	}
	c.cache[key] = nameList{items: items, at: time.Now()}
}

// complete answers a completion of content of kind for what the user typed,
// on behalf of a surface that needs the tools in need to be served. With
// ids the values are IDs, otherwise names.
func (d *dispatcher) complete(ctx context.Context, kind, typed string, ids bool, need []string, target string) (*mcp.Completion, error) {
	k, ok := contentKinds[kind]
	if !ok {
		return &mcp.Completion{Values: []string{}}, nil
	}
	var out *mcp.Completion
	var err error
	d.observe(ctx, SurfaceCompletion, k.tool, target, func(ctx context.Context) string {
		for _, t := range append(slices.Clone(need), k.tool) {
			if !d.serves(ctx, t) {
				refused("selection", "%s is not served", t).record(ctx)
				out = &mcp.Completion{Values: []string{}}
				return OutcomeRefused
			}
		}
		var items []named
		items, err = d.names(ctx, k)
		if err != nil {
			return OutcomeError
		}
		out = match(items, typed, ids)
		return OutcomeOK
	})
	return out, err
}

// names lists the caller's items of kind k, through the guarded path.
func (d *dispatcher) names(ctx context.Context, k contentKind) ([]named, error) {
	key := identityOf(ctx) + "\x00" + k.name
	if items, ok := d.completions.get(key); ok {
		return items, nil
	}
	t, ok := d.served[k.tool]
	if !ok {
		return nil, errors.New(k.tool + " is not served")
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = k.tool
	req.Params.Arguments = map[string]any{"page_size": 1000}
	res, err := d.callTool(ctx, *t, req)
	if err != nil {
		return nil, err
	}
	if res == nil || res.IsError {
		msg := "listing failed"
		if res != nil {
			msg = resultText(res)
		}
		return nil, errors.New(msg)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(resultText(res)), &doc); err != nil {
		return nil, err
	}
	var items []named
	// Compact results list the items under the plural, Tableau's JSON
	// under plural.singular.
	list, compact := doc[k.outer].([]any)
	if !compact {
		outer, _ := doc[k.outer].(map[string]any)
		list, _ = outer[k.inner].([]any)
	}
	for _, it := range list {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		name, _ := m["name"].(string)
		if id != "" {
			items = append(items, named{id: id, name: name})
		}
	}
	d.completions.put(key, items)
	return items, nil
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// match keeps the items whose name contains typed (or, for IDs, whose ID
// starts with it), those whose name starts with it first, then by name.
func match(items []named, typed string, ids bool) *mcp.Completion {
	typed = strings.ToLower(strings.TrimSpace(typed))
	type hit struct {
		value, name string
		prefix      bool
	}
	var hits []hit
	seen := map[string]bool{}
	for _, it := range items {
		name := strings.ToLower(it.name)
		ok := strings.Contains(name, typed) || (ids && strings.HasPrefix(strings.ToLower(it.id), typed))
		value := it.name
		if ids {
			value = it.id
		}
		if !ok || value == "" || seen[value] {
			continue
		}
		seen[value] = true
		hits = append(hits, hit{value: value, name: name, prefix: strings.HasPrefix(name, typed)})
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		if a.prefix != b.prefix {
			if a.prefix {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	c := &mcp.Completion{Values: []string{}, Total: len(hits), HasMore: len(hits) > maxCompletions}
	for i, h := range hits {
		if i == maxCompletions {
			break
		}
		c.Values = append(c.Values, h.value)
	}
	return c
}

// resourceCompleter completes the ID parameter of the resource templates.
type resourceCompleter struct {
	d         *dispatcher
	templates map[string]tools.Resource // by URI template
}

func (r *resourceCompleter) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	rs, ok := r.templates[uri]
	kind := templateKinds[arg.Name]
	if !ok || kind == "" || !strings.Contains(uri, "{"+arg.Name+"}") {
		return &mcp.Completion{Values: []string{}}, nil
	}
	return r.d.complete(ctx, kind, arg.Value, true, []string{rs.Tool}, rs.Template.Name)
}

// promptCompleter completes the prompts' content arguments with names.
type promptCompleter struct {
	d       *dispatcher
	prompts map[string]promptDef
}

func (p *promptCompleter) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	def, ok := p.prompts[prompt]
	if !ok {
		return &mcp.Completion{Values: []string{}}, nil
	}
	for _, a := range def.args {
		if a.name == arg.Name && a.kind != "" {
			return p.d.complete(ctx, a.kind, arg.Value, false, def.tools, prompt)
		}
	}
	return &mcp.Completion{Values: []string{}}, nil
}
