package tableauemu

import (
	"net/http"
	"strings"
)

// webURL is the web page of a piece of content, numbered as Tableau's
// repository does.
func (c *call) webURL(kind string, num int) string {
	if c.site.contentURL == "" {
		return c.baseURL() + "/#/" + kind + "/" + itoa(num)
	}
	return c.baseURL() + "/#/site/" + c.site.contentURL + "/" + kind + "/" + itoa(num)
}

func (c *call) workbookJSON(w *workbook, withViews bool) obj {
	s := c.site
	views := s.viewsOf(w.id)
	o := obj{
		"id": w.id, "name": w.name, "description": w.description, "contentUrl": w.contentURL,
		"webpageUrl": c.webURL("workbooks", w.num), "showTabs": w.showTabs, "size": itoa(w.size),
		"createdAt": stamp(w.createdAt), "updatedAt": stamp(w.updatedAt),
		"encryptExtracts": w.encryptExtracts, "hasExtracts": w.hasExtracts, "sheetCount": itoa(len(views)),
		"project": obj{"id": w.projectID, "name": s.projectName(w.projectID)},
		"owner":   obj{"id": w.ownerID, "name": s.userName(w.ownerID)},
		"tags":    tagsJSON(w.tags),
	}
	if len(views) > 0 {
		o["defaultViewId"] = views[0].id
	}
	if withViews {
		list := make([]obj, len(views))
		for i, v := range views {
			list[i] = obj{"id": v.id, "name": v.name, "contentUrl": viewContentURL(s, v)}
			if c.usage() {
				list[i]["usage"] = obj{"totalViewCount": itoa(v.totalViews)}
			}
		}
		o["views"] = collection("view", list)
	}
	return o
}

func (c *call) viewJSON(v *view) obj {
	o := obj{
		"id": v.id, "name": v.name, "contentUrl": viewContentURL(c.site, v),
		"createdAt": stamp(v.createdAt), "updatedAt": stamp(v.updatedAt),
		"sheetType": v.sheetType, "viewUrlName": v.viewURLName,
		"workbook": obj{"id": v.workbookID}, "owner": obj{"id": v.ownerID}, "project": obj{"id": v.projectID},
		"tags": tagsJSON(v.tags),
	}
	if c.usage() {
		o["usage"] = obj{"totalViewCount": itoa(v.totalViews)}
	}
	if c.wantsFields() {
		s := c.site
		o["workbook"] = obj{"id": v.workbookID, "name": s.workbookName(v.workbookID)}
		o["owner"] = obj{"id": v.ownerID, "name": s.userName(v.ownerID)}
		o["project"] = obj{"id": v.projectID, "name": s.projectName(v.projectID)}
	}
	return o
}

func (c *call) datasourceJSON(d *datasource) obj {
	return obj{
		"id": d.id, "name": d.name, "type": d.typ, "contentUrl": d.contentURL, "description": d.description,
		"size": itoa(d.size), "createdAt": stamp(d.createdAt), "updatedAt": stamp(d.updatedAt),
		"encryptExtracts": d.encryptExtracts, "hasExtracts": d.hasExtracts, "isCertified": d.isCertified,
		"certificationNote": d.certificationNote, "webpageUrl": c.webURL("datasources", d.num),
		"project": obj{"id": d.projectID, "name": c.site.projectName(d.projectID)},
		"owner":   c.ownerRef(d.ownerID),
		"tags":    tagsJSON(d.tags),
	}
}

// ownerRef is owner{id}, with the name when the request asks for fields.
func (c *call) ownerRef(id string) obj {
	if c.wantsFields() {
		return obj{"id": id, "name": c.site.userName(id)}
	}
	return obj{"id": id}
}

func connectionJSON(k *connection, withDatasource bool) obj {
	o := obj{"id": k.id, "type": k.typ, "serverAddress": k.serverAddress, "serverPort": k.serverPort,
		"userName": k.userName, "embedPassword": k.embedPassword}
	if withDatasource && k.dsID != "" {
		o["datasource"] = obj{"id": k.dsID, "name": k.dsName}
	}
	return o
}

func (c *call) findWorkbook() (*workbook, bool) {
	w := c.site.workbook(c.param(1))
	if w == nil {
		c.fail(notFound("404006", "Workbook", c.param(1)))
	}
	return w, w != nil
}

func (c *call) findDatasource() (*datasource, bool) {
	d := c.site.datasource(c.param(1))
	if d == nil {
		c.fail(notFound("404011", "Data source", c.param(1)))
	}
	return d, d != nil
}

// ---- workbooks ----

func hWorkbooksList(c *call) {
	listReply(c, c.site.workbooks, workbookFields.Get(), "workbooks", "workbook", func(w *workbook) obj { return c.workbookJSON(w, false) })
}

func hWorkbookGet(c *call) {
	if w, ok := c.findWorkbook(); ok {
		c.ok(http.StatusOK, obj{"workbook": c.workbookJSON(w, true)})
	}
}

// moveTo checks a new project and owner named in an update body.
func (c *call) moveTo(m jobj, root string) (projectID, ownerID string, err *apiErr) {
	if projectID, _, err = idval(m, root, "project"); err != nil {
		return
	}
	if projectID != "" && c.site.project(projectID) == nil {
		return "", "", notFound("404005", "Project", projectID)
	}
	if ownerID, _, err = idval(m, root, "owner"); err != nil {
		return
	}
	if ownerID != "" {
		if c.site.user(ownerID) == nil {
			return "", "", notFound("404002", "User", ownerID)
		}
		if err = c.requireAdmin("change the owner of content"); err != nil {
			return
		}
	}
	return
}

func hWorkbookUpdate(c *call) {
	w, ok := c.findWorkbook()
	if !ok {
		return
	}
	if err := c.requireOwnerOrAdmin(w.ownerID, "update workbook '"+w.name+"'"); err != nil {
		c.fail(err)
		return
	}
	m, err := c.decode("workbook", true)
	if err != nil {
		c.fail(err)
		return
	}
	name, hasName, err := sval(m, "workbook", "name")
	if err != nil {
		c.fail(err)
		return
	}
	desc, hasDesc, err := sval(m, "workbook", "description")
	if err != nil {
		c.fail(err)
		return
	}
	tabs, hasTabs, err := bval(m, "workbook", "showTabs")
	if err != nil {
		c.fail(err)
		return
	}
	projectID, ownerID, err := c.moveTo(m, "workbook")
	if err != nil {
		c.fail(err)
		return
	}
	if hasName && strings.TrimSpace(name) == "" {
		c.fail(badRequest("'workbook.name' cannot be empty."))
		return
	}
	newName, newProject := w.name, w.projectID
	if hasName {
		newName = name
	}
	if projectID != "" {
		newProject = projectID
	}
	for _, o := range c.site.workbooks {
		if o != w && o.projectID == newProject && strings.EqualFold(o.name, newName) {
			c.fail(conflict("A workbook named '%s' already exists in project '%s'.", newName, c.site.projectName(newProject)))
			return
		}
	}
	w.name, w.projectID = newName, newProject
	if hasDesc {
		w.description = desc
	}
	if hasTabs {
		w.showTabs = tabs
	}
	if ownerID != "" {
		w.ownerID = ownerID
	}
	for _, v := range c.site.viewsOf(w.id) {
		v.projectID, v.ownerID = w.projectID, w.ownerID
	}
	w.updatedAt = c.now
	c.ok(http.StatusOK, obj{"workbook": c.workbookJSON(w, false)})
}

func (s *site) removeWorkbook(w *workbook) {
	s.workbooks = without(s.workbooks, func(x *workbook) bool { return x == w })
	for _, v := range s.viewsOf(w.id) {
		delete(s.perms, v.id)
	}
	s.views = without(s.views, func(v *view) bool { return v.workbookID == w.id })
	s.tasks = without(s.tasks, func(t *task) bool { return t.contentKind == "workbook" && t.contentID == w.id })
	delete(s.perms, w.id)
}

func (s *site) removeDatasource(d *datasource) {
	s.datasources = without(s.datasources, func(x *datasource) bool { return x == d })
	s.tasks = without(s.tasks, func(t *task) bool { return t.contentKind == "datasource" && t.contentID == d.id })
	delete(s.perms, d.id)
}

func without[T any](items []T, drop func(T) bool) []T {
	out := items[:0:0]
	for _, it := range items {
		if !drop(it) {
			out = append(out, it)
		}
	}
	return out
}

func hWorkbookDelete(c *call) {
	w, ok := c.findWorkbook()
	if !ok {
		return
	}
	if err := c.requireOwnerOrAdmin(w.ownerID, "delete workbook '"+w.name+"'"); err != nil {
		c.fail(err)
		return
	}
	c.site.removeWorkbook(w)
	c.empty(http.StatusNoContent)
}

func hWorkbookConnections(c *call) {
	w, ok := c.findWorkbook()
	if !ok {
		return
	}
	list := make([]obj, len(w.conns))
	for i, k := range w.conns {
		list[i] = connectionJSON(k, true)
	}
	c.ok(http.StatusOK, obj{"connections": collection("connection", list)})
}

// hWorkbookViews answers all views of a workbook; like Tableau's "Query
// Views for Workbook" it has no paging, filter or sort.
func hWorkbookViews(c *call) {
	w, ok := c.findWorkbook()
	if !ok {
		return
	}
	views := c.site.viewsOf(w.id)
	list := make([]obj, len(views))
	for i, v := range views {
		list[i] = c.viewJSON(v)
	}
	c.ok(http.StatusOK, obj{"views": collection("view", list)})
}

func hWorkbookRefresh(c *call) {
	w, ok := c.findWorkbook()
	if !ok {
		return
	}
	c.refresh("workbook", w.id, w.name, w.ownerID, w.hasExtracts)
}

// refresh starts an extract refresh job and answers 202 with it.
func (c *call) refresh(kind, id, name, ownerID string, hasExtracts bool) {
	if _, err := c.decode(kind, false); err != nil {
		c.fail(err)
		return
	}
	if err := c.requireOwnerOrAdmin(ownerID, "refresh '"+name+"'"); err != nil {
		c.fail(err)
		return
	}
	if !hasExtracts {
		c.fail(badRequest("'%s' has no extract to refresh: it connects live to its data.", name))
		return
	}
	jobType := "refresh_extracts"
	if c.flag("incremental") {
		jobType = "increment_extracts"
	}
	j := c.startJob(kind, id, name, jobType)
	c.ok(http.StatusAccepted, obj{"job": jobJSON(j)})
}

func (c *call) startJob(kind, id, name, jobType string) *job {
	j := &job{id: c.e.newID("job"), status: "Pending", jobType: jobType, priority: 50,
		createdAt: c.now, contentKind: kind, contentID: id, contentName: name, auto: true}
	c.site.jobs = append(c.site.jobs, j)
	return j
}

// ---- views ----

func hViewsList(c *call) {
	listReply(c, c.site.views, viewFields.Get(), "views", "view", func(v *view) obj { return c.viewJSON(v) })
}

func hViewGet(c *call) {
	v := c.site.view(c.param(1))
	if v == nil {
		c.fail(notFound("404004", "View", c.param(1)))
		return
	}
	c.ok(http.StatusOK, obj{"view": c.viewJSON(v)})
}

// ---- data sources ----

func hDatasourcesList(c *call) {
	listReply(c, c.site.datasources, datasourceFields.Get(), "datasources", "datasource", func(d *datasource) obj { return c.datasourceJSON(d) })
}

func hDatasourceGet(c *call) {
	if d, ok := c.findDatasource(); ok {
		c.ok(http.StatusOK, obj{"datasource": c.datasourceJSON(d)})
	}
}

func hDatasourceUpdate(c *call) {
	d, ok := c.findDatasource()
	if !ok {
		return
	}
	if err := c.requireOwnerOrAdmin(d.ownerID, "update data source '"+d.name+"'"); err != nil {
		c.fail(err)
		return
	}
	m, err := c.decode("datasource", true)
	if err != nil {
		c.fail(err)
		return
	}
	name, hasName, err := sval(m, "datasource", "name")
	if err != nil {
		c.fail(err)
		return
	}
	cert, hasCert, err := bval(m, "datasource", "isCertified")
	if err != nil {
		c.fail(err)
		return
	}
	note, hasNote, err := sval(m, "datasource", "certificationNote")
	if err != nil {
		c.fail(err)
		return
	}
	desc, hasDesc, err := sval(m, "datasource", "description")
	if err != nil {
		c.fail(err)
		return
	}
	projectID, ownerID, err := c.moveTo(m, "datasource")
	if err != nil {
		c.fail(err)
		return
	}
	if hasName && strings.TrimSpace(name) == "" {
		c.fail(badRequest("'datasource.name' cannot be empty."))
		return
	}
	newName, newProject := d.name, d.projectID
	if hasName {
		newName = name
	}
	if projectID != "" {
		newProject = projectID
	}
	for _, o := range c.site.datasources {
		if o != d && o.projectID == newProject && strings.EqualFold(o.name, newName) {
			c.fail(conflict("A data source named '%s' already exists in project '%s'.", newName, c.site.projectName(newProject)))
			return
		}
	}
	if hasName && newName != d.name {
		for _, w := range c.site.workbooks {
			for _, k := range w.conns {
				if k.dsID == d.id {
					k.dsName = newName
				}
			}
		}
		for _, v := range c.site.views {
			if v.chartDatasource == d.name {
				v.chartDatasource = newName
			}
		}
	}
	d.name, d.projectID = newName, newProject
	if hasCert {
		d.isCertified = cert
		if !cert && !hasNote {
			d.certificationNote = ""
		}
	}
	if hasNote {
		d.certificationNote = note
	}
	if hasDesc {
		d.description = desc
	}
	if ownerID != "" {
		d.ownerID = ownerID
	}
	d.updatedAt = c.now
	c.ok(http.StatusOK, obj{"datasource": c.datasourceJSON(d)})
}

func hDatasourceDelete(c *call) {
	d, ok := c.findDatasource()
	if !ok {
		return
	}
	if err := c.requireOwnerOrAdmin(d.ownerID, "delete data source '"+d.name+"'"); err != nil {
		c.fail(err)
		return
	}
	c.site.removeDatasource(d)
	c.empty(http.StatusNoContent)
}

func hDatasourceRefresh(c *call) {
	d, ok := c.findDatasource()
	if !ok {
		return
	}
	c.refresh("datasource", d.id, d.name, d.ownerID, d.hasExtracts)
}

func hDatasourceConnections(c *call) {
	d, ok := c.findDatasource()
	if !ok {
		return
	}
	list := make([]obj, len(d.conns))
	for i, k := range d.conns {
		list[i] = connectionJSON(k, false)
	}
	c.ok(http.StatusOK, obj{"connections": collection("connection", list)})
}
