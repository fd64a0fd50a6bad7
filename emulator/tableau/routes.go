package tableauemu

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

type handlerFunc func(c *call)

type route struct {
	method  string
	pattern string // after /api/{v}/, wildcards in braces
	segs    []string
	public  bool   // no X-Tableau-Auth needed
	site    bool   // first wildcard is the site LUID, checked against the session
	scope   string // JWT access scope a connected-app session needs
	h       handlerFunc
}

// routes are built on the emulator's first request.
var routes = lazy.Value[[]route]{Build: buildRoutes}

func buildRoutes() []route {
	var routes []route
	add := func(method, pattern string, h handlerFunc) {
		routes = append(routes, route{method: method, pattern: pattern, segs: strings.Split(pattern, "/"),
			site: strings.HasPrefix(pattern, "sites/{site}/"), h: h})
	}
	routes = append(routes,
		route{method: "GET", pattern: "serverinfo", segs: []string{"serverinfo"}, public: true, h: hServerInfo},
		route{method: "POST", pattern: "auth/signin", segs: []string{"auth", "signin"}, public: true, h: hSignIn},
	)
	add("POST", "auth/signout", hSignOut)
	add("GET", "sessions/current", hSessionCurrent)
	add("GET", "search", hContentSearch)
	add("GET", "sites", hSitesList)
	add("GET", "sites/{site}", hSiteGet)

	add("GET", "schedules", hSchedulesList)
	add("POST", "schedules", hScheduleCreate)
	add("GET", "schedules/{id}", hScheduleGet)
	add("PUT", "schedules/{id}", hScheduleUpdate)
	add("DELETE", "schedules/{id}", hScheduleDelete)

	add("GET", "sites/{site}/workbooks", hWorkbooksList)
	add("POST", "sites/{site}/workbooks", hWorkbookPublish)
	add("POST", "sites/{site}/datasources", hDatasourcePublish)
	add("POST", "sites/{site}/fileUploads", hFileUploadStart)
	add("PUT", "sites/{site}/fileUploads/{id}", hFileUploadAppend)
	add("GET", "sites/{site}/workbooks/{id}", hWorkbookGet)
	add("PUT", "sites/{site}/workbooks/{id}", hWorkbookUpdate)
	add("DELETE", "sites/{site}/workbooks/{id}", hWorkbookDelete)
	add("POST", "sites/{site}/workbooks/{id}/refresh", hWorkbookRefresh)
	add("GET", "sites/{site}/workbooks/{id}/connections", hWorkbookConnections)
	add("GET", "sites/{site}/workbooks/{id}/views", hWorkbookViews)
	add("GET", "sites/{site}/workbooks/{id}/content", hWorkbookContent)
	add("GET", "sites/{site}/workbooks/{id}/permissions", permsGet("workbook"))
	add("PUT", "sites/{site}/workbooks/{id}/permissions", permsPut("workbook"))
	add("DELETE", "sites/{site}/workbooks/{id}/permissions/{type}/{grantee}/{capability}/{mode}", permsDelete("workbook"))

	add("GET", "sites/{site}/views", hViewsList)
	add("GET", "sites/{site}/views/{id}", hViewGet)
	add("GET", "sites/{site}/views/{id}/image", hViewImage)
	add("GET", "sites/{site}/views/{id}/pdf", hViewPDF)
	add("GET", "sites/{site}/views/{id}/data", hViewData)
	add("GET", "sites/{site}/views/{id}/crosstab/excel", hViewCrosstab)

	add("GET", "sites/{site}/customviews", hCustomViewsList)
	add("GET", "sites/{site}/customviews/{id}", hCustomViewGet)
	add("GET", "sites/{site}/customviews/{id}/image", hCustomViewImage)
	add("GET", "sites/{site}/customviews/{id}/data", hCustomViewData)

	add("GET", "sites/{site}/flows", hFlowsList)
	add("GET", "sites/{site}/flows/runs", hFlowRunsList)
	add("GET", "sites/{site}/flows/runs/{id}", hFlowRunGet)
	add("GET", "sites/{site}/flows/{id}", hFlowGet)
	add("POST", "sites/{site}/flows/{id}/run", hFlowRun)
	add("GET", "sites/{site}/tasks/runFlow", hFlowTasksList)

	add("GET", "sites/{site}/datasources", hDatasourcesList)
	add("GET", "sites/{site}/datasources/{id}", hDatasourceGet)
	add("PUT", "sites/{site}/datasources/{id}", hDatasourceUpdate)
	add("DELETE", "sites/{site}/datasources/{id}", hDatasourceDelete)
	add("POST", "sites/{site}/datasources/{id}/refresh", hDatasourceRefresh)
	add("GET", "sites/{site}/datasources/{id}/connections", hDatasourceConnections)
	add("GET", "sites/{site}/datasources/{id}/content", hDatasourceContent)
	add("GET", "sites/{site}/datasources/{id}/permissions", permsGet("datasource"))
	add("PUT", "sites/{site}/datasources/{id}/permissions", permsPut("datasource"))
	add("DELETE", "sites/{site}/datasources/{id}/permissions/{type}/{grantee}/{capability}/{mode}", permsDelete("datasource"))

	add("GET", "sites/{site}/projects", hProjectsList)
	add("POST", "sites/{site}/projects", hProjectCreate)
	add("PUT", "sites/{site}/projects/{id}", hProjectUpdate)
	add("DELETE", "sites/{site}/projects/{id}", hProjectDelete)
	add("GET", "sites/{site}/projects/{id}/permissions", permsGet("project"))
	add("PUT", "sites/{site}/projects/{id}/permissions", permsPut("project"))
	add("DELETE", "sites/{site}/projects/{id}/permissions/{type}/{grantee}/{capability}/{mode}", permsDelete("project"))

	add("GET", "sites/{site}/users", hUsersList)
	add("POST", "sites/{site}/users", hUserAdd)
	add("GET", "sites/{site}/users/{id}", hUserGet)
	add("PUT", "sites/{site}/users/{id}", hUserUpdate)
	add("DELETE", "sites/{site}/users/{id}", hUserDelete)

	add("GET", "sites/{site}/groups", hGroupsList)
	add("POST", "sites/{site}/groups", hGroupCreate)
	add("PUT", "sites/{site}/groups/{id}", hGroupUpdate)
	add("DELETE", "sites/{site}/groups/{id}", hGroupDelete)
	add("GET", "sites/{site}/groups/{id}/users", hGroupUsers)
	add("POST", "sites/{site}/groups/{id}/users", hGroupAddUser)
	add("DELETE", "sites/{site}/groups/{id}/users/{user}", hGroupRemoveUser)

	add("GET", "sites/{site}/jobs", hJobsList)
	add("GET", "sites/{site}/jobs/{id}", hJobGet)
	add("PUT", "sites/{site}/jobs/{id}", hJobCancel)

	add("GET", "sites/{site}/tasks/extractRefreshes", hTasksList)
	add("GET", "sites/{site}/tasks/extractRefreshes/{id}", hTaskGet)
	add("DELETE", "sites/{site}/tasks/extractRefreshes/{id}", hTaskDelete)
	add("POST", "sites/{site}/tasks/extractRefreshes/{id}/runNow", hTaskRun)
	for i := range routes {
		if !routes[i].public {
			routes[i].scope = routeScope(routes[i].method, routes[i].pattern)
		}
	}
	return routes
}

func (rt *route) match(segs []string) ([]string, bool) {
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var params []string
	for i, p := range rt.segs {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			params = append(params, segs[i])
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

func splitPath(u *url.URL) []string {
	raw := strings.TrimPrefix(u.EscapedPath(), "/")
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		if v, err := url.PathUnescape(p); err == nil {
			parts[i] = v
		}
	}
	return parts
}

func endpointNotFound(path string) *apiErr {
	return newErr(http.StatusNotFound, "404003", fmt.Sprintf("No REST endpoint answers '%s'.", path))
}

// dispatch routes a request under e.mu.
func (e *Emulator) dispatch(c *call) {
	segs := splitPath(c.r.URL)
	if len(segs) < 3 || segs[0] != "api" {
		c.fail(endpointNotFound(c.r.URL.Path))
		return
	}
	if len(segs) > 3 && segs[1] == "-" && segs[2] == "pulse" {
		e.dispatchPulse(c, segs[2:])
		return
	}
	// Content search is unversioned: /api/-/search, and only it.
	unversioned := segs[1] == "-"
	major, minor, ok := parseVersion(segs[1])
	if unversioned {
		major, minor, ok = 3, 16, len(segs) == 3 && segs[2] == "search"
	}
	if !ok || major < 2 || major > e.maxMajor || (major == e.maxMajor && minor > e.maxMinor) {
		c.fail(newErr(http.StatusNotFound, "404003", fmt.Sprintf("The REST API version '%s' is not served here; versions 2.0 to %s are.", segs[1], e.cfg.APIVersion)))
		return
	}
	rest := segs[2:]
	var found *route
	var allowed []string
	all := routes.Get()
	for i := range all {
		rt := &all[i]
		params, ok := rt.match(rest)
		if !ok || (rt.pattern == "search") != unversioned {
			continue
		}
		if rt.method != c.r.Method {
			allowed = append(allowed, rt.method)
			continue
		}
		found, c.params = rt, params
		break
	}
	if found == nil {
		if len(allowed) > 0 {
			sort.Strings(allowed)
			c.fail(newErr(http.StatusMethodNotAllowed, "405000", fmt.Sprintf("Method %s is not allowed on '%s'; use %s.", c.r.Method, c.r.URL.Path, strings.Join(allowed, " or "))))
			c.rep.header.Set("Allow", strings.Join(allowed, ", "))
			return
		}
		c.fail(endpointNotFound(c.r.URL.Path))
		return
	}
	e.stats.ByRoute[found.method+" /api/{v}/"+found.pattern]++
	if !found.public {
		if err := e.authenticate(c); err != nil {
			c.fail(err)
			return
		}
		if !c.sess.allows(found.scope) {
			c.fail(scopeDenied(found.scope))
			return
		}
	}
	if found.site {
		id := c.params[0]
		if id != c.sess.siteID {
			if e.siteByID(id) == nil {
				c.fail(newErr(http.StatusNotFound, "404000", fmt.Sprintf("Site '%s' could not be found.", id)))
				return
			}
			c.fail(newErr(http.StatusForbidden, "403000", fmt.Sprintf("This session is signed in to site '%s', not to site '%s'; sign in to that site to use it.", c.sess.siteID, id)))
			return
		}
		e.advanceJobs(c.site, c.now)
	}
	found.h(c)
}

// authenticate checks X-Tableau-Auth and fills the caller's session, site
// and user.
func (e *Emulator) authenticate(c *call) *apiErr {
	token := c.r.Header.Get("X-Tableau-Auth")
	if token == "" {
		return newErr(http.StatusUnauthorized, "401000", "No authentication credentials were provided: send the sign-in token in the X-Tableau-Auth header.")
	}
	s := e.liveSession(token)
	if s == nil {
		return newErr(http.StatusUnauthorized, "401002", "Invalid authentication credentials were provided.")
	}
	st := e.siteByID(s.siteID)
	var u *user
	if st != nil {
		u = st.user(s.userID)
	}
	if u == nil {
		e.endSession(s)
		return newErr(http.StatusUnauthorized, "401002", "Invalid authentication credentials were provided.")
	}
	c.sess, c.site, c.user = s, st, u
	return nil
}

// advanceJobs moves jobs started through the API along with the clock:
// Pending for 2 s, InProgress for 8 s, then Success.
func (e *Emulator) advanceJobs(s *site, now time.Time) {
	for _, j := range s.jobs {
		if !j.auto {
			continue
		}
		if j.status == "Pending" && !now.Before(j.createdAt.Add(2*time.Second)) {
			j.status, j.startedAt, j.progress = "InProgress", j.createdAt.Add(2*time.Second), 50
		}
		if j.status == "InProgress" && !now.Before(j.startedAt.Add(8*time.Second)) {
			j.status, j.endedAt, j.progress, j.auto = "Success", j.startedAt.Add(8*time.Second), 100, false
			switch j.contentKind {
			case "workbook":
				if w := s.workbook(j.contentID); w != nil {
					w.updatedAt = j.endedAt
				}
			case "datasource":
				if d := s.datasource(j.contentID); d != nil {
					d.updatedAt = j.endedAt
				}
			}
		}
	}
}

// requireAdmin answers 403133 unless the caller administers the site.
func (c *call) requireAdmin(what string) *apiErr {
	if isAdmin(c.user.siteRole) {
		return nil
	}
	return denied("Only a site or server administrator can %s; user '%s' is %s.", what, c.user.name, c.user.siteRole)
}

// requireOwnerOrAdmin answers 403133 unless the caller owns the content or
// administers the site.
func (c *call) requireOwnerOrAdmin(ownerID, what string) *apiErr {
	if isAdmin(c.user.siteRole) || ownerID == c.user.id {
		return nil
	}
	return denied("User '%s' may not %s: only its owner or an administrator can.", c.user.name, what)
}
