package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// Tableau's export endpoints ignore a vf_<field> parameter whose field the
// view's data does not have (the match is exact, case-sensitive), and the
// export then comes back unfiltered. A filter may name any field of the data
// sources the view's workbook uses, not only the columns the view shows, so
// the names are checked against those data sources' metadata.

// maxListedFields bounds the field names an error lists.
const maxListedFields = 40

// filterTarget names the view or custom view whose filters are checked.
type filterTarget struct {
	collection string // "views" or "customviews"
	id         string
}

// viewFieldNames returns the field and parameter captions of the data
// sources a view's workbook connects to, cached like query metadata (per
// backend, identity and view). An error means they could not all be read.
func viewFieldNames(ctx context.Context, env *Env, t filterTarget) ([]string, error) {
	key := metadataKey(ctx, env.Backend, t.collection+"/"+t.id)
	if md, ok := env.Metadata.get(key); ok {
		return md.captions(), nil
	}
	read := func(tool, path string, into any) error {
		req := get(backend.SiteScope, path, nil)
		req.Idempotent = true
		raw, err := env.Backend.Invoke(ctx, backend.Call{Tool: tool, Request: req})
		if err != nil {
			return err
		}
		return json.Unmarshal(raw, into)
	}
	type ref struct {
		Workbook struct{ ID string } `json:"workbook"`
	}
	var item map[string]ref
	tool, kind := "tableau_view_get", "view"
	if t.collection == "customviews" {
		tool, kind = "tableau_custom_view_get", "customView"
	}
	if err := read(tool, backend.Segments(t.collection, t.id), &item); err != nil {
		return nil, err
	}
	wb := item[kind].Workbook.ID
	if wb == "" {
		return nil, fmt.Errorf("Tableau did not name the %s's workbook", kind)
	}
	var conns struct {
		Connections struct {
			Connection []struct {
				Datasource struct{ ID string } `json:"datasource"`
			} `json:"connection"`
		} `json:"connections"`
	}
	if err := read("tableau_workbook_connections_list", workbookPath(wb, "connections"), &conns); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	union := &dsMetadata{byCaption: map[string]*fieldMeta{}}
	for _, c := range conns.Connections.Connection {
		ds := c.Datasource.ID
		if ds == "" || seen[strings.ToLower(ds)] {
			continue
		}
		seen[strings.ToLower(ds)] = true
		md, err := metadata(ctx, env, ds)
		if err != nil {
			return nil, err
		}
		add := func(name string) {
			if _, dup := union.byCaption[name]; name != "" && !dup {
				union.fields = append(union.fields, fieldMeta{FieldCaption: name})
				union.byCaption[name] = &union.fields[len(union.fields)-1]
			}
		}
		for _, f := range md.fields {
			add(f.FieldCaption)
		}
		for _, p := range md.parameters {
			if s, ok := p["parameterCaption"].(string); ok {
				add(s)
			}
		}
	}
	if len(seen) == 0 {
		return nil, fmt.Errorf("the workbook names no data source")
	}
	// byCaption points into fields; rebuild it now that fields stopped growing.
	for i := range union.fields {
		union.byCaption[union.fields[i].FieldCaption] = &union.fields[i]
	}
	env.Metadata.put(key, union)
	return union.captions(), nil
}

// checkFilterFields refuses view filters naming no field of the view's data
// before any export is sent. When the names cannot be read (no VizQL Data
// Service, no permission) the export is still sent, and filtersChecked stays
// false so that its summary says the filters are unverified.
func checkFilterFields(ctx context.Context, env *Env, x *exportSpec) error {
	if len(x.filters) == 0 || x.target.id == "" {
		return nil
	}
	names, err := viewFieldNames(ctx, env, x.target)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		env.logger(ctx).Info("view filter fields not checked", zap.String("view", x.target.id), zap.Error(err))
		return nil
	}
	x.filtersChecked = true
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	var bad []string
	for _, f := range x.filters {
		if !have[f.field] {
			bad = append(bad, f.field)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	var p []string
	for _, b := range bad {
		s := fmt.Sprintf("no field '%s' in this view's data", clip(b))
		if hint := suggest(b, names); len(hint) > 0 {
			s += "; did you mean '" + strings.Join(hint, "' or '") + "'?"
		}
		p = append(p, s)
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	more := ""
	if len(sorted) > maxListedFields {
		more = fmt.Sprintf(", ... (%d more)", len(sorted)-maxListedFields)
		sorted = sorted[:maxListedFields]
	}
	return backend.Userf("view_filters: %s Fields: %s%s. Field names are exact and case-sensitive; Tableau ignores a filter naming no field.", strings.Join(p, " "), strings.Join(sorted, ", "), more)
}
