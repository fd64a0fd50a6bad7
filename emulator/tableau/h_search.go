package tableauemu

import (
	"net/http"
	"strconv"
	"strings"
)

// hContentSearch answers Get Content Search Results (GET /api/-/search) on
// the session's site: terms matched, case-insensitively, against names,
// descriptions and tags; filter type:eq:<type> or type:in:[a,b]; limit
// (default 10) and page (0-based). The answer has Tableau's shape:
// {"hits":{"total","limit","pageIndex","startIndex","items":[{"uri","content":{...}}]}}.
func hContentSearch(c *call) {
	s := c.site
	terms := strings.Fields(strings.ToLower(c.q.Get("terms")))
	types := map[string]bool{}
	for _, f := range splitTop(c.q.Get("filter")) {
		if f == "" {
			continue
		}
		field, rest, _ := strings.Cut(f, ":")
		op, value, _ := strings.Cut(rest, ":")
		if field != "type" || (op != "eq" && op != "in") || value == "" {
			c.fail(badFilter("Search filter '%s' is not supported here; use type:eq:<type> or type:in:[a,b].", f))
			return
		}
		for _, t := range strings.Split(strings.Trim(value, "[]"), ",") {
			types[strings.TrimSpace(t)] = true
		}
	}
	limit, page := 10, 0
	if v := c.q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 2000 {
			c.fail(newErr(http.StatusBadRequest, "400000", "The limit '"+v+"' is not valid: it must be 1 to 2000."))
			return
		}
		limit = n
	}
	if v := c.q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.fail(newErr(http.StatusBadRequest, "400000", "The page '"+v+"' is not valid: it must be 0 or more."))
			return
		}
		page = n
	}
	matches := func(text ...string) bool {
		all := strings.ToLower(strings.Join(text, " "))
		for _, t := range terms {
			if !strings.Contains(all, t) {
				return false
			}
		}
		return true
	}
	want := func(t string) bool { return len(types) == 0 || types[t] }
	var items []obj
	hit := func(typ, id, title, owner, project, container string, extra obj) {
		content := obj{"type": typ, "luid": id, "title": title, "ownerName": owner, "projectName": project, "containerName": container}
		for k, v := range extra {
			content[k] = v
		}
		items = append(items, obj{"uri": "tableau:" + typ + ":" + id, "content": content})
	}
	if want("workbook") {
		for _, w := range s.workbooks {
			if matches(w.name, w.description, strings.Join(w.tags, " ")) {
				p := s.projectName(w.projectID)
				hit("workbook", w.id, w.name, s.userName(w.ownerID), p, p, obj{"tags": w.tags, "modifiedTime": stamp(w.updatedAt)})
			}
		}
	}
	if want("view") {
		for _, v := range s.views {
			wb := s.workbookName(v.workbookID)
			if matches(v.name, wb, strings.Join(v.tags, " ")) {
				hit("view", v.id, v.name, s.userName(v.ownerID), s.projectName(v.projectID), wb, obj{"sheetType": v.sheetType, "hitsTotal": v.totalViews})
			}
		}
	}
	if want("datasource") {
		for _, d := range s.datasources {
			if matches(d.name, d.description, strings.Join(d.tags, " ")) {
				p := s.projectName(d.projectID)
				hit("datasource", d.id, d.name, s.userName(d.ownerID), p, p, obj{"isCertified": d.isCertified, "hasExtracts": d.hasExtracts})
			}
		}
	}
	if want("project") {
		for _, p := range s.projects {
			if matches(p.name, p.description) {
				parent := s.projectName(p.parentID)
				hit("project", p.id, p.name, s.userName(p.ownerID), parent, parent, nil)
			}
		}
	}
	total := len(items)
	start := page * limit
	var pageItems []obj
	if page < total && start < total {
		pageItems = items[start:min(start+limit, total)]
	}
	if pageItems == nil {
		pageItems = []obj{}
	}
	c.ok(http.StatusOK, obj{"hits": obj{"total": total, "limit": limit, "pageIndex": page, "startIndex": start, "items": pageItems}})
}
