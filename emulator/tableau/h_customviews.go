package tableauemu

import (
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/render"
)

// Custom views: a user's saved state of a view (here: view filters), listed
// site-wide and exported like the view they were saved from, with their
// filters applied (REST 3.18; data 3.23).

type customView struct {
	id, name                     string
	viewID, workbookID, ownerID  string
	shared                       bool
	createdAt, updatedAt, access time.Time
	filters                      []viewFilter
}

func (s *site) customView(id string) *customView {
	for _, v := range s.customViews {
		if v.id == id {
			return v
		}
	}
	return nil
}

// Tableau filters custom views on viewId, workbookId and ownerId, eq only.
var customViewFields = lazy.Value[fields[*customView]]{Build: func() fields[*customView] {
	return fields[*customView]{
		"viewId":     str(func(_ *site, v *customView) string { return v.viewID }),
		"workbookId": str(func(_ *site, v *customView) string { return v.workbookID }),
		"ownerId":    str(func(_ *site, v *customView) string { return v.ownerID }),
	}

}}

func (c *call) customViewJSON(v *customView) obj {
	s := c.site
	viewName := ""
	if vw := s.view(v.viewID); vw != nil {
		viewName = vw.name
	}
	return obj{
		"id": v.id, "name": v.name, "shared": v.shared,
		"createdAt": stamp(v.createdAt), "updatedAt": stamp(v.updatedAt), "lastAccessedAt": stamp(v.access),
		"view":     obj{"id": v.viewID, "name": viewName},
		"workbook": obj{"id": v.workbookID, "name": s.workbookName(v.workbookID)},
		"owner":    obj{"id": v.ownerID, "name": s.userName(v.ownerID)},
	}
}

// visibleCustomViews: administrators see every custom view, others their
// own and the shared ones.
func (c *call) visibleCustomViews() []*customView {
	var out []*customView
	for _, v := range c.site.customViews {
		if isAdmin(c.user.siteRole) || v.ownerID == c.user.id || v.shared {
			out = append(out, v)
		}
	}
	return out
}

func hCustomViewsList(c *call) {
	listReply(c, c.visibleCustomViews(), customViewFields.Get(), "customViews", "customView", func(v *customView) obj { return c.customViewJSON(v) })
}

func (c *call) findCustomView() (*customView, bool) {
	v := c.site.customView(c.param(1))
	if v == nil || !(isAdmin(c.user.siteRole) || v.ownerID == c.user.id || v.shared) {
		c.fail(notFound("404034", "Custom view", c.param(1)))
		return nil, false
	}
	return v, true
}

func hCustomViewGet(c *call) {
	if v, ok := c.findCustomView(); ok {
		c.ok(http.StatusOK, obj{"customView": c.customViewJSON(v)})
	}
}

// customSource is the export source of the custom view's view with its
// saved filters; vf_ parameters of the request override them field by field.
func (c *call) customSource() (chartSource, string, bool) {
	cv, ok := c.findCustomView()
	if !ok {
		return chartSource{}, "", false
	}
	v := c.site.view(cv.viewID)
	if v == nil {
		c.fail(notFound("404004", "View", cv.viewID))
		return chartSource{}, "", false
	}
	src, ok := c.source(v)
	if !ok {
		return chartSource{}, "", false
	}
	asked := map[string]bool{}
	for _, f := range src.filters {
		asked[f.field] = true
	}
	for _, f := range cv.filters {
		if !asked[f.field] {
			src.filters = append(src.filters, f)
		}
	}
	return src, cv.name, true
}

func hCustomViewImage(c *call) {
	w, okW := c.positive("vizWidth")
	h, okH := c.positive("vizHeight")
	if !okW || !okH {
		return
	}
	src, name, ok := c.customSource()
	if !ok {
		return
	}
	w, h = render.ClampSize(w, h)
	if c.q.Get("resolution") == "high" {
		w, h = render.ClampSize(2*w, 2*h)
	}
	c.file(ctPNG, render.FileName(name)+".png", func() ([]byte, error) {
		return render.PNG(src.chart(src.summarise()), w, h)
	})
}

func hCustomViewData(c *call) {
	src, name, ok := c.customSource()
	if !ok {
		return
	}
	c.file(ctCSV, render.FileName(name)+".csv", func() ([]byte, error) {
		return render.CSV(src.summarise().table()), nil
	})
}

// seedCustomViews saves a few views of the demo workbooks with filters.
func (s *site) seedCustomViews() {
	for i, x := range []struct {
		name, workbook, view, owner string
		shared                      bool
		field, value                string
	}{
		{"West region", "Superstore Sales", "Sales by Region", "casey.creator@example.com", true, "Region", "West"},
		{"Furniture only", "Superstore Sales", "Profit by Category", "maria.sales@example.com", true, "Category", "Furniture"},
		{"My consumer segment", "Superstore Sales", "Sales by Segment", "vic.viewer@example.com", false, "Segment", "Consumer"},
		{"Corporate KPIs", "Executive Overview", "KPI Summary", "admin@example.com", true, "Segment", "Corporate"},
		{"East and Central", "Regional Performance", "Quantity by Region", "maria.sales@example.com", false, "Region", "East,Central"},
	} {
		vid := s.key("view", x.workbook+"/"+x.view)
		v := s.view(vid)
		u := s.userByName(x.owner)
		if v == nil || u == nil {
			continue
		}
		s.customViews = append(s.customViews, &customView{
			id: s.key("customview", x.workbook+"/"+x.view+"/"+x.name), name: x.name,
			viewID: v.id, workbookID: v.workbookID, ownerID: u.id, shared: x.shared,
			createdAt: day(-40 + i), updatedAt: day(-10 + i), access: day(-1),
			filters: viewFilters(map[string][]string{"vf_" + x.field: {x.value}}),
		})
	}
}
