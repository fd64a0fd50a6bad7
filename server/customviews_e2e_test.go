package server_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
)

// walkCustomViews lists the demo site's custom views, gets one, and checks
// its image and data: the data of the saved "West region" view of Sales by
// Region is the West's sales, summed here from the raw sample rows.
func walkCustomViews(t *testing.T, s *Session) {
	t.Helper()
	cvs := List(s.OK("tableau_custom_views_list", nil), "customViews", "customView")
	var west map[string]any
	for _, cv := range cvs {
		if cv["name"] == "West region" {
			west = cv
		}
		for _, k := range []string{"view", "workbook", "owner"} {
			if Str(cv, k, "id") == "" || Str(cv, k, "name") == "" {
				t.Errorf("custom view %v has no %s id and name", cv["name"], k)
			}
		}
	}
	if west == nil {
		t.Fatalf("no custom view named West region among %d", len(cvs))
	}
	id := west["id"].(string)
	viewID := Str(west, "view", "id")
	byView := List(s.OK("tableau_custom_views_list", args{"view_id": viewID}), "customViews", "customView")
	if len(byView) == 0 || len(byView) >= len(cvs) {
		t.Errorf("filter by view_id gave %d of %d", len(byView), len(cvs))
	}
	for _, cv := range byView {
		if Str(cv, "view", "id") != viewID {
			t.Errorf("filter by view_id returned a custom view of view %s", Str(cv, "view", "id"))
		}
	}
	owner := Str(west, "owner", "id")
	for _, cv := range List(s.OK("tableau_custom_views_list", args{"owner_id": owner}), "customViews", "customView") {
		if Str(cv, "owner", "id") != owner {
			t.Errorf("filter by owner_id returned one owned by %s", Str(cv, "owner", "id"))
		}
	}
	if Str(s.OK("tableau_custom_view_get", args{"custom_view_id": id}), "customView", "name") != "West region" {
		t.Error("custom_view_get did not answer the custom view")
	}

	img := s.Call("tableau_custom_view_image_get", args{"custom_view_id": id})
	if img.IsError {
		t.Fatalf("custom view image: %s", Text(img))
	}
	png := imageOf(t, img)
	if w, h := pngSize(t, png); w != 800 || h != 600 {
		t.Errorf("custom view image %dx%d, want 800x600", w, h)
	}
	if l := linkOf(t, img); !strings.HasPrefix(l.URI, "tableau://customviews/"+id+"/image") || l.MIMEType != "image/png" {
		t.Errorf("image link %+v", l)
	}
	plain := imageOf(t, s.Call("tableau_view_image_get", args{"view_id": viewID}))
	if bytes.Equal(plain, png) {
		t.Error("the custom view's image is the unfiltered view's")
	}

	data := s.Call("tableau_custom_view_data_get", args{"custom_view_id": id})
	if data.IsError {
		t.Fatalf("custom view data: %s", Text(data))
	}
	recs := csvOf(t, data)
	if len(recs) != 2 || recs[1][0] != "West" {
		t.Fatalf("custom view data %v, want the West row only", recs)
	}
	tb := superstore(t)
	region, sales := col(t, tb, "Region"), col(t, tb, "Sales")
	want := 0.0
	for _, r := range tb.Rows {
		if region(r) == "West" {
			want += num(sales(r))
		}
	}
	got, err := strconv.ParseFloat(recs[1][1], 64)
	if err != nil || math.Abs(got-want) > 0.01 {
		t.Errorf("West sales %q, summed from the sample rows %.2f", recs[1][1], want)
	}
	if l := linkOf(t, data); !strings.HasPrefix(l.URI, "tableau://customviews/"+id+"/data") {
		t.Errorf("data link %+v", l)
	}
	s.Fail("tableau_custom_view_get", args{"custom_view_id": "00000000-0000-0000-0000-00000000abcd"}, "404")
}
