package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
)

// opened lists the exports (Open requests) among what was sent.
func opened(sent []string) []string {
	var out []string
	for _, s := range sent {
		if strings.HasPrefix(s, "OPEN ") {
			out = append(out, s)
		}
	}
	return out
}

// TestViewFiltersNamingNoFieldAreRefusedBeforeExport: Tableau ignores a
// vf_ field that matches nothing exactly and returns the view unfiltered,
// so a wrong-case name is refused with the right spelling, and no export is
// sent; a field of the data source the view does not show still filters.
func TestViewFiltersNamingNoFieldAreRefusedBeforeExport(t *testing.T) {
	base, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Backend: base}
	s := inProcess(t, server.Options{Backend: rec})
	viewID := idOf(t, s, "tableau_views_list", "views", "view", "Profit by Category")

	n := rec.count()
	for _, tool := range []string{"tableau_view_data_get", "tableau_view_image_get", "tableau_view_crosstab_get"} {
		msg := s.Fail(tool, args{"view_id": viewID, "view_filters": args{"region": "West"}},
			"view_filters: no field 'region' in this view's data; did you mean 'Region'?", "Fields: ", "Category", "Region")
		if strings.Contains(msg, "filtered") {
			t.Errorf("%s: a refused filter described as applied: %s", tool, msg)
		}
	}
	if _, err := readResource(t, s, "tableau://views/"+viewID+"/image?vf_region=West"); err == nil || !strings.Contains(err.Error(), "did you mean 'Region'") {
		t.Errorf("resources/read with vf_region: %v", err)
	}
	if o := opened(rec.since(n)); len(o) != 0 {
		t.Errorf("exports sent for filters naming no field: %v", o)
	}

	// Region is a field of the view's data source, not a column of the view.
	data := ok(t, s, "tableau_view_data_get", args{"view_id": viewID, "view_filters": args{"Region": "West"}})
	if got := Text(data); !strings.Contains(got, "filtered Region=West") || strings.Contains(got, "not verified") || strings.HasPrefix(csvOf(t, data)[0][0], "Region") {
		t.Errorf("Region on a Category view: %s", got)
	}
	// The view's fields are kept: a second filtered export reads no metadata.
	n = rec.count()
	ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "view_filters": args{"Region": "East"}})
	if sent := rec.since(n); len(sent) != 1 || !strings.HasPrefix(sent[0], "OPEN ") {
		t.Errorf("second filtered export sent %v, want only the export", sent)
	}
	if _, err := readResource(t, s, "tableau://views/"+viewID+"/data?vf_Region=West"); err != nil {
		t.Errorf("resources/read with vf_Region: %v", err)
	}

	// Custom views share the check.
	cv := List(s.OK("tableau_custom_views_list", args{"view_id": viewID}), "customViews", "customView")
	if len(cv) == 0 {
		cv = List(s.OK("tableau_custom_views_list", nil), "customViews", "customView")
	}
	if len(cv) == 0 {
		t.Fatal("the demo site has no custom view")
	}
	n = rec.count()
	s.Fail("tableau_custom_view_data_get", args{"custom_view_id": cv[0]["id"], "view_filters": args{"REGION": "West"}}, "no field 'REGION'", "did you mean 'Region'?")
	if o := opened(rec.since(n)); len(o) != 0 {
		t.Errorf("custom view export sent for a filter naming no field: %v", o)
	}
}

// noVDS answers everything but the VizQL Data Service, as a site with it
// turned off.
type noVDS struct{ backend.Backend }

func (b noVDS) Invoke(ctx context.Context, c backend.Call) (json.RawMessage, error) {
	if c.Request.Scope == backend.VDSScope {
		return nil, errors.New("VizQL Data Service is not enabled on this site")
	}
	return b.Backend.Invoke(ctx, c)
}

// TestViewFiltersUncheckedAreSentButNotCalledApplied: without the fields,
// the export is not blocked, and its result does not claim the filter.
func TestViewFiltersUncheckedAreSentButNotCalledApplied(t *testing.T) {
	base, _, err := demo.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Backend: noVDS{base}}
	s := inProcess(t, server.Options{Backend: rec})
	viewID := idOf(t, s, "tableau_views_list", "views", "view", "Profit by Category")
	n := rec.count()
	got := Text(ok(t, s, "tableau_view_image_get", args{"view_id": viewID, "view_filters": args{"region": "West"}}))
	if strings.Contains(got, "filtered") || !strings.Contains(got, "view_filters region=West sent but not verified: the view's fields could not be read") {
		t.Errorf("unverified filter summary: %s", got)
	}
	if o := opened(rec.since(n)); len(o) != 1 {
		t.Errorf("the export was not sent once: %v", o)
	}
}
