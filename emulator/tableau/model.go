package tableauemu

import (
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"strings"
	"time"
)

// The in-memory model of a site. Slices keep creation order, which is the
// order lists answer in when no sort is given.

type site struct {
	id, name, contentURL string
	createdAt            time.Time
	storageQuota         int
	nextNum              int // numbers the web page URLs of content

	projects    []*project
	workbooks   []*workbook
	views       []*view
	datasources []*datasource
	users       []*user
	groups      []*group
	jobs        []*job
	tasks       []*task
	customViews []*customView
	flows       []*flow
	flowRuns    []*flowRun
	flowTasks   []*flowTask
	pulse       []*pulseDefinition
	perms       map[string][]*grant // content LUID -> grants
}

type project struct {
	id, name, description, contentPermissions, parentID, ownerID string
	createdAt, updatedAt                                         time.Time
}

type connection struct {
	id, typ, serverAddress, serverPort, userName string
	embedPassword                                bool
	dsID, dsName                                 string
}

type workbook struct {
	id, name, description, contentURL string
	showTabs, encryptExtracts         bool
	hasExtracts                       bool
	size                              int
	createdAt, updatedAt              time.Time
	projectID, ownerID                string
	tags                              []string
	num                               int
	conns                             []*connection
}

type view struct {
	id, name, viewURLName, sheetType string
	workbookID, ownerID, projectID   string
	createdAt, updatedAt             time.Time
	tags                             []string
	totalViews                       int
	// Chart behind the view, used later for exports; never in JSON.
	chartDatasource, chartDimension, chartMeasure string
}

type datasource struct {
	id, name, typ, contentURL, description string
	size                                   int
	createdAt, updatedAt                   time.Time
	encryptExtracts, hasExtracts           bool
	isCertified                            bool
	certificationNote                      string
	projectID, ownerID                     string
	tags                                   []string
	num                                    int
	conns                                  []*connection
}

type user struct {
	id, name, fullName, email, siteRole, authSetting string
	locale, language                                 string
	lastLogin                                        time.Time
}

type group struct {
	id, name, minimumSiteRole string
	members                   []string // user LUIDs
}

type job struct {
	id, status, jobType string // jobType as in lists: refresh_extracts, increment_extracts
	priority, progress  int
	createdAt           time.Time
	startedAt, endedAt  time.Time
	contentKind         string // workbook | datasource
	contentID           string
	contentName         string
	notes               []string
	auto                bool   // advances Pending -> InProgress -> Success with the clock
	flowRunID           string // of a RunFlow job
}

type task struct {
	id          string
	priority    int
	failed      int
	typ         string // RefreshExtract | IncrementExtract
	scheduleID  string
	contentKind string
	contentID   string
}

type interval struct{ key, value string }

type schedule struct {
	id, name, state, typ, frequency, executionOrder string
	priority                                        int
	createdAt, updatedAt                            time.Time
	start, end                                      string
	intervals                                       []interval
}

type grant struct {
	granteeType string // user | group
	granteeID   string
	caps        []capability
}

type capability struct{ name, mode string }

// ---- lookups ----

func (s *site) project(id string) *project {
	for _, p := range s.projects {
		if p.id == id {
			return p
		}
	}
	return nil
}

func (s *site) workbook(id string) *workbook {
	for _, w := range s.workbooks {
		if w.id == id {
			return w
		}
	}
	return nil
}

func (s *site) view(id string) *view {
	for _, v := range s.views {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (s *site) datasource(id string) *datasource {
	for _, d := range s.datasources {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (s *site) user(id string) *user {
	for _, u := range s.users {
		if u.id == id {
			return u
		}
	}
	return nil
}

func (s *site) userByName(name string) *user {
	for _, u := range s.users {
		if strings.EqualFold(u.name, name) {
			return u
		}
	}
	return nil
}

func (s *site) group(id string) *group {
	for _, g := range s.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

func (s *site) job(id string) *job {
	for _, j := range s.jobs {
		if j.id == id {
			return j
		}
	}
	return nil
}

func (s *site) task(id string) *task {
	for _, t := range s.tasks {
		if t.id == id {
			return t
		}
	}
	return nil
}

func (s *site) viewsOf(wbID string) []*view {
	var out []*view
	for _, v := range s.views {
		if v.workbookID == wbID {
			out = append(out, v)
		}
	}
	return out
}

func (s *site) projectName(id string) string {
	if p := s.project(id); p != nil {
		return p.name
	}
	return ""
}

func (s *site) userName(id string) string {
	if u := s.user(id); u != nil {
		return u.name
	}
	return ""
}

func (s *site) userEmail(id string) string {
	if u := s.user(id); u != nil {
		return u.email
	}
	return ""
}

func (s *site) workbookName(id string) string {
	if w := s.workbook(id); w != nil {
		return w.name
	}
	return ""
}

var siteRoles = []string{"Creator", "Explorer", "ExplorerCanPublish", "Guest", "ServerAdministrator",
	"SiteAdministratorCreator", "SiteAdministratorExplorer", "SupportUser", "Unlicensed", "Viewer"}

func validRole(r string) bool {
	for _, x := range siteRoles {
		if x == r {
			return true
		}
	}
	return false
}

func isAdmin(role string) bool {
	return role == "ServerAdministrator" || role == "SiteAdministratorCreator" || role == "SiteAdministratorExplorer"
}

// ---- filter and sort fields per kind ----

func str[T any](f func(s *site, x T) string) field[T] {
	return field[T]{ftString, func(s *site, x T) any { return f(s, x) }}
}
func tim[T any](f func(x T) time.Time) field[T] {
	return field[T]{ftTime, func(_ *site, x T) any { return f(x) }}
}
func boo[T any](f func(x T) bool) field[T] {
	return field[T]{ftBool, func(_ *site, x T) any { return f(x) }}
}
func num[T any](f func(s *site, x T) int) field[T] {
	return field[T]{ftNumber, func(s *site, x T) any { return f(s, x) }}
}
func tgs[T any](f func(x T) []string) field[T] {
	return field[T]{ftTags, func(_ *site, x T) any { return f(x) }}
}

var workbookFields = lazy.Value[fields[*workbook]]{Build: func() fields[*workbook] {
	return fields[*workbook]{
		"name":            str(func(_ *site, w *workbook) string { return w.name }),
		"contentUrl":      str(func(_ *site, w *workbook) string { return w.contentURL }),
		"createdAt":       tim(func(w *workbook) time.Time { return w.createdAt }),
		"updatedAt":       tim(func(w *workbook) time.Time { return w.updatedAt }),
		"tags":            tgs(func(w *workbook) []string { return w.tags }),
		"ownerName":       str(func(s *site, w *workbook) string { return s.userName(w.ownerID) }),
		"ownerEmail":      str(func(s *site, w *workbook) string { return s.userEmail(w.ownerID) }),
		"ownerId":         str(func(_ *site, w *workbook) string { return w.ownerID }),
		"projectName":     str(func(s *site, w *workbook) string { return s.projectName(w.projectID) }),
		"projectId":       str(func(_ *site, w *workbook) string { return w.projectID }),
		"hasExtracts":     boo(func(w *workbook) bool { return w.hasExtracts }),
		"showTabs":        boo(func(w *workbook) bool { return w.showTabs }),
		"size":            num(func(_ *site, w *workbook) int { return w.size }),
		"sheetCount":      num(func(s *site, w *workbook) int { return len(s.viewsOf(w.id)) }),
		"encryptExtracts": boo(func(w *workbook) bool { return w.encryptExtracts }),
	}

}}
var viewFields = lazy.Value[fields[*view]]{Build: func() fields[*view] {
	return fields[*view]{
		"name":         str(func(_ *site, v *view) string { return v.name }),
		"viewUrlName":  str(func(_ *site, v *view) string { return v.viewURLName }),
		"contentUrl":   str(func(s *site, v *view) string { return viewContentURL(s, v) }),
		"createdAt":    tim(func(v *view) time.Time { return v.createdAt }),
		"updatedAt":    tim(func(v *view) time.Time { return v.updatedAt }),
		"tags":         tgs(func(v *view) []string { return v.tags }),
		"ownerName":    str(func(s *site, v *view) string { return s.userName(v.ownerID) }),
		"ownerEmail":   str(func(s *site, v *view) string { return s.userEmail(v.ownerID) }),
		"projectName":  str(func(s *site, v *view) string { return s.projectName(v.projectID) }),
		"projectId":    str(func(_ *site, v *view) string { return v.projectID }),
		"workbookId":   str(func(_ *site, v *view) string { return v.workbookID }),
		"workbookName": str(func(s *site, v *view) string { return s.workbookName(v.workbookID) }),
		"sheetType":    str(func(_ *site, v *view) string { return v.sheetType }),
		"hitsTotal":    num(func(_ *site, v *view) int { return v.totalViews }),
	}

}}
var datasourceFields = lazy.Value[fields[*datasource]]{Build: func() fields[*datasource] {
	return fields[*datasource]{
		"name":            str(func(_ *site, d *datasource) string { return d.name }),
		"type":            str(func(_ *site, d *datasource) string { return d.typ }),
		"contentUrl":      str(func(_ *site, d *datasource) string { return d.contentURL }),
		"createdAt":       tim(func(d *datasource) time.Time { return d.createdAt }),
		"updatedAt":       tim(func(d *datasource) time.Time { return d.updatedAt }),
		"tags":            tgs(func(d *datasource) []string { return d.tags }),
		"ownerName":       str(func(s *site, d *datasource) string { return s.userName(d.ownerID) }),
		"ownerEmail":      str(func(s *site, d *datasource) string { return s.userEmail(d.ownerID) }),
		"projectName":     str(func(s *site, d *datasource) string { return s.projectName(d.projectID) }),
		"projectId":       str(func(_ *site, d *datasource) string { return d.projectID }),
		"hasExtracts":     boo(func(d *datasource) bool { return d.hasExtracts }),
		"isCertified":     boo(func(d *datasource) bool { return d.isCertified }),
		"encryptExtracts": boo(func(d *datasource) bool { return d.encryptExtracts }),
		"size":            num(func(_ *site, d *datasource) int { return d.size }),
	}

}}
var projectFields = lazy.Value[fields[*project]]{Build: func() fields[*project] {
	return fields[*project]{
		"name":               str(func(_ *site, p *project) string { return p.name }),
		"createdAt":          tim(func(p *project) time.Time { return p.createdAt }),
		"updatedAt":          tim(func(p *project) time.Time { return p.updatedAt }),
		"ownerName":          str(func(s *site, p *project) string { return s.userName(p.ownerID) }),
		"ownerEmail":         str(func(s *site, p *project) string { return s.userEmail(p.ownerID) }),
		"parentProjectId":    str(func(_ *site, p *project) string { return p.parentID }),
		"topLevelProject":    boo(func(p *project) bool { return p.parentID == "" }),
		"contentPermissions": str(func(_ *site, p *project) string { return p.contentPermissions }),
	}

}}
var userFields = lazy.Value[fields[*user]]{Build: func() fields[*user] {
	return fields[*user]{
		"name":         str(func(_ *site, u *user) string { return u.name }),
		"fullName":     str(func(_ *site, u *user) string { return u.fullName }),
		"friendlyName": str(func(_ *site, u *user) string { return u.fullName }),
		"email":        str(func(_ *site, u *user) string { return u.email }),
		"siteRole":     str(func(_ *site, u *user) string { return u.siteRole }),
		"lastLogin":    tim(func(u *user) time.Time { return u.lastLogin }),
		"authSetting":  str(func(_ *site, u *user) string { return u.authSetting }),
		"domainName":   str(func(_ *site, _ *user) string { return "local" }),
	}

}}
var groupFields = lazy.Value[fields[*group]]{Build: func() fields[*group] {
	return fields[*group]{
		"name":            str(func(_ *site, g *group) string { return g.name }),
		"minimumSiteRole": str(func(_ *site, g *group) string { return g.minimumSiteRole }),
		"userCount":       num(func(_ *site, g *group) int { return len(g.members) }),
		"domainName":      str(func(_ *site, _ *group) string { return "local" }),
		"isLocal":         boo(func(_ *group) bool { return true }),
	}

}}
var jobFields = lazy.Value[fields[*job]]{Build: func() fields[*job] {
	return fields[*job]{
		"status":    str(func(_ *site, j *job) string { return j.status }),
		"jobType":   str(func(_ *site, j *job) string { return j.jobType }),
		"createdAt": tim(func(j *job) time.Time { return j.createdAt }),
		"startedAt": tim(func(j *job) time.Time { return j.startedAt }),
		"endedAt":   tim(func(j *job) time.Time { return j.endedAt }),
		"priority":  num(func(_ *site, j *job) int { return j.priority }),
		"title":     str(func(_ *site, j *job) string { return jobTitle(j) }),
		"subtitle":  str(func(_ *site, j *job) string { return j.contentName }),
		"progress":  num(func(_ *site, j *job) int { return j.progress }),
	}

}}
var taskFields = lazy.Value[fields[*task]]{Build: func() fields[*task] {
	return fields[*task]{
		"type":                   str(func(_ *site, t *task) string { return t.typ }),
		"priority":               num(func(_ *site, t *task) int { return t.priority }),
		"consecutiveFailedCount": num(func(_ *site, t *task) int { return t.failed }),
		"scheduleId":             str(func(_ *site, t *task) string { return t.scheduleID }),
		"workbookId": str(func(_ *site, t *task) string {
			if t.contentKind == "workbook" {
				return t.contentID
			}
			return ""
		}),
		"datasourceId": str(func(_ *site, t *task) string {
			if t.contentKind == "datasource" {
				return t.contentID
			}
			return ""
		}),
	}

}}
var scheduleFields = lazy.Value[fields[*schedule]]{Build: func() fields[*schedule] {
	return fields[*schedule]{
		"name":      str(func(_ *site, x *schedule) string { return x.name }),
		"type":      str(func(_ *site, x *schedule) string { return x.typ }),
		"frequency": str(func(_ *site, x *schedule) string { return x.frequency }),
		"state":     str(func(_ *site, x *schedule) string { return x.state }),
		"priority":  num(func(_ *site, x *schedule) int { return x.priority }),
		"createdAt": tim(func(x *schedule) time.Time { return x.createdAt }),
		"updatedAt": tim(func(x *schedule) time.Time { return x.updatedAt }),
	}

}}
var siteFields = lazy.Value[fields[*site]]{Build: func() fields[*site] {
	return fields[*site]{
		"name":       str(func(_ *site, x *site) string { return x.name }),
		"contentUrl": str(func(_ *site, x *site) string { return x.contentURL }),
		"state":      str(func(_ *site, _ *site) string { return "Active" }),
		"createdAt":  tim(func(x *site) time.Time { return x.createdAt }),
	}

}}

func jobTitle(j *job) string {
	if j.jobType == "increment_extracts" {
		return "Increment Extracts"
	}
	return "Refresh Extracts"
}

func viewContentURL(s *site, v *view) string {
	if w := s.workbook(v.workbookID); w != nil {
		return w.contentURL + "/sheets/" + v.viewURLName
	}
	return v.viewURLName
}
