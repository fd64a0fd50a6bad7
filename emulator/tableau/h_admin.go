package tableauemu

import (
	"net/http"
	"strings"
)

// ---- projects ----

var contentPermissionModes = []string{"ManagedByOwner", "LockedToProject", "LockedToProjectWithoutNested"}

func (c *call) projectJSON(p *project) obj {
	o := obj{"id": p.id, "name": p.name, "description": p.description,
		"contentPermissions": p.contentPermissions, "topLevelProject": p.parentID == "",
		"createdAt": stamp(p.createdAt), "updatedAt": stamp(p.updatedAt), "owner": c.ownerRef(p.ownerID)}
	if p.parentID != "" {
		o["parentProjectId"] = p.parentID
	}
	return o
}

func hProjectsList(c *call) {
	listReply(c, c.site.projects, projectFields.Get(), "projects", "project", func(p *project) obj { return c.projectJSON(p) })
}

// projectBody reads and checks the project members of a create or update.
type projectBody struct {
	name, desc, perms, parent             string
	hasName, hasDesc, hasPerms, hasParent bool
}

func (c *call) readProject() (*projectBody, *apiErr) {
	m, err := c.decode("project", true)
	if err != nil {
		return nil, err
	}
	b := &projectBody{}
	for _, f := range []struct {
		key string
		v   *string
		has *bool
	}{{"name", &b.name, &b.hasName}, {"description", &b.desc, &b.hasDesc},
		{"contentPermissions", &b.perms, &b.hasPerms}, {"parentProjectId", &b.parent, &b.hasParent}} {
		if *f.v, *f.has, err = sval(m, "project", f.key); err != nil {
			return nil, err
		}
	}
	if b.hasPerms {
		ok := false
		for _, x := range contentPermissionModes {
			ok = ok || x == b.perms
		}
		if !ok {
			return nil, badRequest("'project.contentPermissions' must be one of %s, not '%s'.", strings.Join(contentPermissionModes, ", "), b.perms)
		}
	}
	if b.hasName && strings.TrimSpace(b.name) == "" {
		return nil, badRequest("'project.name' cannot be empty.")
	}
	if b.parent != "" && c.site.project(b.parent) == nil {
		return nil, notFound("404005", "Project", b.parent)
	}
	return b, nil
}

func (c *call) projectNameTaken(name, parent string, except *project) bool {
	for _, p := range c.site.projects {
		if p != except && p.parentID == parent && strings.EqualFold(p.name, name) {
			return true
		}
	}
	return false
}

func hProjectCreate(c *call) {
	b, err := c.readProject()
	if err != nil {
		c.fail(err)
		return
	}
	if !b.hasName {
		c.fail(badRequest("'project.name' is required."))
		return
	}
	if b.parent == "" {
		err = c.requireAdmin("create a top-level project")
	} else {
		err = c.requireOwnerOrAdmin(c.site.project(b.parent).ownerID, "create a project inside '"+c.site.projectName(b.parent)+"'")
	}
	if err != nil {
		c.fail(err)
		return
	}
	if c.projectNameTaken(b.name, b.parent, nil) {
		c.fail(conflict("A project named '%s' already exists there.", b.name))
		return
	}
	if !b.hasPerms {
		b.perms = "ManagedByOwner"
	}
	p := &project{id: c.e.newID("project"), name: b.name, description: b.desc, contentPermissions: b.perms,
		parentID: b.parent, ownerID: c.user.id, createdAt: c.now, updatedAt: c.now}
	c.site.projects = append(c.site.projects, p)
	c.ok(http.StatusCreated, obj{"project": c.projectJSON(p)})
}

// isUnder tells whether project id is ancestor or equal to project p.
func (s *site) isUnder(p *project, ancestor string) bool {
	for seen := 0; p != nil && seen <= len(s.projects); seen++ {
		if p.id == ancestor {
			return true
		}
		p = s.project(p.parentID)
	}
	return false
}

func hProjectUpdate(c *call) {
	p := c.site.project(c.param(1))
	if p == nil {
		c.fail(notFound("404005", "Project", c.param(1)))
		return
	}
	if err := c.requireOwnerOrAdmin(p.ownerID, "update project '"+p.name+"'"); err != nil {
		c.fail(err)
		return
	}
	b, err := c.readProject()
	if err != nil {
		c.fail(err)
		return
	}
	name, parent := p.name, p.parentID
	if b.hasName {
		name = b.name
	}
	if b.hasParent {
		parent = b.parent
		if parent != "" && c.site.isUnder(c.site.project(parent), p.id) {
			c.fail(badRequest("Project '%s' cannot be moved into itself or one of its own sub-projects.", p.name))
			return
		}
	}
	if c.projectNameTaken(name, parent, p) {
		c.fail(conflict("A project named '%s' already exists there.", name))
		return
	}
	p.name, p.parentID = name, parent
	if b.hasDesc {
		p.description = b.desc
	}
	if b.hasPerms {
		p.contentPermissions = b.perms
	}
	p.updatedAt = c.now
	c.ok(http.StatusOK, obj{"project": c.projectJSON(p)})
}

// hProjectDelete deletes a project with everything in it, nested projects
// included, as Tableau does. The Default project cannot be deleted.
func hProjectDelete(c *call) {
	s := c.site
	p := s.project(c.param(1))
	if p == nil {
		c.fail(notFound("404005", "Project", c.param(1)))
		return
	}
	if p.parentID == "" && p.name == "Default" {
		c.fail(newErr(http.StatusForbidden, "403000", "The Default project cannot be deleted."))
		return
	}
	if err := c.requireOwnerOrAdmin(p.ownerID, "delete project '"+p.name+"'"); err != nil {
		c.fail(err)
		return
	}
	doomed := map[string]bool{}
	for _, x := range s.projects {
		if s.isUnder(x, p.id) {
			doomed[x.id] = true
		}
	}
	for _, w := range append([]*workbook(nil), s.workbooks...) {
		if doomed[w.projectID] {
			s.removeWorkbook(w)
		}
	}
	for _, d := range append([]*datasource(nil), s.datasources...) {
		if doomed[d.projectID] {
			s.removeDatasource(d)
		}
	}
	for id := range doomed {
		delete(s.perms, id)
	}
	s.projects = without(s.projects, func(x *project) bool { return doomed[x.id] })
	c.empty(http.StatusNoContent)
}

// ---- users ----

func userJSON(u *user) obj {
	o := obj{"id": u.id, "name": u.name, "siteRole": u.siteRole, "authSetting": u.authSetting,
		"language": u.language, "locale": u.locale, "externalAuthUserId": "", "domain": obj{"name": "local"}}
	if u.fullName != "" {
		o["fullName"] = u.fullName
	}
	if u.email != "" {
		o["email"] = u.email
	}
	if !u.lastLogin.IsZero() {
		o["lastLogin"] = stamp(u.lastLogin)
	}
	return o
}

func (c *call) findUser(id string) (*user, bool) {
	u := c.site.user(id)
	if u == nil {
		c.fail(notFound("404002", "User", id))
	}
	return u, u != nil
}

func badRole(role string) *apiErr {
	return newErr(http.StatusBadRequest, "400013", "Invalid site role '"+role+"'; valid roles: "+strings.Join(siteRoles, ", ")+".")
}

func hUsersList(c *call) {
	listReply(c, c.site.users, userFields.Get(), "users", "user", func(u *user) obj { return userJSON(u) })
}

func hUserGet(c *call) {
	if u, ok := c.findUser(c.param(1)); ok {
		c.ok(http.StatusOK, obj{"user": userJSON(u)})
	}
}

func hUserAdd(c *call) {
	if err := c.requireAdmin("add users to the site"); err != nil {
		c.fail(err)
		return
	}
	m, err := c.decode("user", true)
	if err != nil {
		c.fail(err)
		return
	}
	name, _, err := sval(m, "user", "name")
	if err != nil {
		c.fail(err)
		return
	}
	role, hasRole, err := sval(m, "user", "siteRole")
	if err != nil {
		c.fail(err)
		return
	}
	auth, hasAuth, err := sval(m, "user", "authSetting")
	if err != nil {
		c.fail(err)
		return
	}
	switch {
	case strings.TrimSpace(name) == "":
		c.fail(badRequest("'user.name' is required."))
		return
	case !hasRole:
		c.fail(badRequest("'user.siteRole' is required."))
		return
	case !validRole(role):
		c.fail(badRole(role))
		return
	case role == "ServerAdministrator" && c.user.siteRole != "ServerAdministrator":
		c.fail(denied("Only a server administrator can add a ServerAdministrator."))
		return
	case c.site.userByName(name) != nil:
		c.fail(conflict("User '%s' is already a member of site '%s'.", name, c.site.name))
		return
	}
	if !hasAuth || auth == "" {
		auth = "ServerDefault"
	}
	u := &user{id: c.e.newID("user"), name: name, siteRole: role, authSetting: auth, locale: "en_US", language: "en"}
	if strings.Contains(name, "@") {
		u.email = name
	}
	c.site.users = append(c.site.users, u)
	if g := c.site.allUsers(); g != nil {
		g.members = append(g.members, u.id)
	}
	c.ok(http.StatusCreated, obj{"user": userJSON(u)})
}

func (s *site) allUsers() *group {
	for _, g := range s.groups {
		if g.name == "All Users" {
			return g
		}
	}
	return nil
}

func hUserUpdate(c *call) {
	u, ok := c.findUser(c.param(1))
	if !ok {
		return
	}
	if u.id != c.user.id {
		if err := c.requireAdmin("update other users"); err != nil {
			c.fail(err)
			return
		}
	}
	m, err := c.decode("user", true)
	if err != nil {
		c.fail(err)
		return
	}
	var vals [5]string
	var has [5]bool
	keys := []string{"fullName", "email", "siteRole", "authSetting", "name"}
	for i, k := range keys {
		if vals[i], has[i], err = sval(m, "user", k); err != nil {
			c.fail(err)
			return
		}
	}
	if has[2] {
		if !validRole(vals[2]) {
			c.fail(badRole(vals[2]))
			return
		}
		if vals[2] != u.siteRole {
			if err := c.requireAdmin("change site roles"); err != nil {
				c.fail(err)
				return
			}
			if vals[2] == "ServerAdministrator" && c.user.siteRole != "ServerAdministrator" {
				c.fail(denied("Only a server administrator can make a user ServerAdministrator."))
				return
			}
		}
	}
	if has[4] {
		if strings.TrimSpace(vals[4]) == "" {
			c.fail(badRequest("'user.name' cannot be empty."))
			return
		}
		if o := c.site.userByName(vals[4]); o != nil && o != u {
			c.fail(conflict("User '%s' is already a member of site '%s'.", vals[4], c.site.name))
			return
		}
	}
	if has[0] {
		u.fullName = vals[0]
	}
	if has[1] {
		u.email = vals[1]
	}
	if has[2] {
		u.siteRole = vals[2]
	}
	if has[3] && vals[3] != "" {
		u.authSetting = vals[3]
	}
	if has[4] {
		u.name = vals[4]
	}
	c.ok(http.StatusOK, obj{"user": userJSON(u)})
}

// hUserDelete removes a user. A user who owns content can only be removed
// with ?mapAssetsTo={user-luid}, which hands the content over.
func hUserDelete(c *call) {
	s := c.site
	u, ok := c.findUser(c.param(1))
	if !ok {
		return
	}
	if err := c.requireAdmin("remove users from the site"); err != nil {
		c.fail(err)
		return
	}
	heir := c.q.Get("mapAssetsTo")
	if heir != "" {
		if h := s.user(heir); h == nil || h == u {
			c.fail(notFound("404002", "User", heir))
			return
		}
	}
	owns := 0
	for _, w := range s.workbooks {
		if w.ownerID == u.id {
			owns++
		}
	}
	for _, d := range s.datasources {
		if d.ownerID == u.id {
			owns++
		}
	}
	for _, p := range s.projects {
		if p.ownerID == u.id {
			owns++
		}
	}
	if owns > 0 && heir == "" {
		c.fail(conflict("User '%s' owns %d items of content; pass mapAssetsTo={user-id} to hand them to another user.", u.name, owns))
		return
	}
	for _, w := range s.workbooks {
		if w.ownerID == u.id {
			w.ownerID = heir
		}
	}
	for _, v := range s.views {
		if v.ownerID == u.id {
			v.ownerID = heir
		}
	}
	for _, d := range s.datasources {
		if d.ownerID == u.id {
			d.ownerID = heir
		}
	}
	for _, p := range s.projects {
		if p.ownerID == u.id {
			p.ownerID = heir
		}
	}
	for _, g := range s.groups {
		g.members = without(g.members, func(id string) bool { return id == u.id })
	}
	for id, gs := range s.perms {
		s.perms[id] = without(gs, func(g *grant) bool { return g.granteeType == "user" && g.granteeID == u.id })
	}
	s.users = without(s.users, func(x *user) bool { return x == u })
	for _, ss := range c.e.sessions {
		if ss.userID == u.id {
			c.e.endSession(ss)
		}
	}
	c.empty(http.StatusNoContent)
}

// ---- groups ----

func groupJSON(g *group) obj {
	o := obj{"id": g.id, "name": g.name, "userCount": itoa(len(g.members)), "domain": obj{"name": "local"}}
	if g.minimumSiteRole != "" {
		o["minimumSiteRole"] = g.minimumSiteRole
	}
	return o
}

func (c *call) findGroup() (*group, bool) {
	g := c.site.group(c.param(1))
	if g == nil {
		c.fail(notFound("404012", "Group", c.param(1)))
	}
	return g, g != nil
}

func hGroupsList(c *call) {
	listReply(c, c.site.groups, groupFields.Get(), "groups", "group", func(g *group) obj { return groupJSON(g) })
}

func (c *call) readGroup(required bool) (name, role string, hasName, hasRole bool, err *apiErr) {
	m, err := c.decode("group", true)
	if err != nil {
		return
	}
	if name, hasName, err = sval(m, "group", "name"); err != nil {
		return
	}
	if role, hasRole, err = sval(m, "group", "minimumSiteRole"); err != nil {
		return
	}
	if (required || hasName) && strings.TrimSpace(name) == "" {
		err = badRequest("'group.name' is required and cannot be empty.")
		return
	}
	if hasRole && role != "" && !validRole(role) {
		err = badRole(role)
	}
	return
}

func (c *call) groupNameTaken(name string, except *group) bool {
	for _, g := range c.site.groups {
		if g != except && strings.EqualFold(g.name, name) {
			return true
		}
	}
	return false
}

func hGroupCreate(c *call) {
	if err := c.requireAdmin("create groups"); err != nil {
		c.fail(err)
		return
	}
	name, role, _, _, err := c.readGroup(true)
	if err != nil {
		c.fail(err)
		return
	}
	if c.groupNameTaken(name, nil) {
		c.fail(conflict("A group named '%s' already exists on the site.", name))
		return
	}
	g := &group{id: c.e.newID("group"), name: name, minimumSiteRole: role}
	c.site.groups = append(c.site.groups, g)
	c.ok(http.StatusCreated, obj{"group": groupJSON(g)})
}

func hGroupUpdate(c *call) {
	g, ok := c.findGroup()
	if !ok {
		return
	}
	if err := c.requireAdmin("update groups"); err != nil {
		c.fail(err)
		return
	}
	name, role, hasName, hasRole, err := c.readGroup(false)
	if err != nil {
		c.fail(err)
		return
	}
	if hasName && name != g.name {
		if g.name == "All Users" {
			c.fail(newErr(http.StatusForbidden, "403000", "The 'All Users' group cannot be renamed."))
			return
		}
		if c.groupNameTaken(name, g) {
			c.fail(conflict("A group named '%s' already exists on the site.", name))
			return
		}
		g.name = name
	}
	if hasRole {
		g.minimumSiteRole = role
	}
	c.ok(http.StatusOK, obj{"group": groupJSON(g)})
}

func hGroupDelete(c *call) {
	g, ok := c.findGroup()
	if !ok {
		return
	}
	if err := c.requireAdmin("delete groups"); err != nil {
		c.fail(err)
		return
	}
	if g.name == "All Users" {
		c.fail(newErr(http.StatusForbidden, "403000", "The 'All Users' group cannot be deleted."))
		return
	}
	s := c.site
	s.groups = without(s.groups, func(x *group) bool { return x == g })
	for id, gs := range s.perms {
		s.perms[id] = without(gs, func(x *grant) bool { return x.granteeType == "group" && x.granteeID == g.id })
	}
	c.empty(http.StatusNoContent)
}

func hGroupUsers(c *call) {
	g, ok := c.findGroup()
	if !ok {
		return
	}
	var members []*user
	for _, id := range g.members {
		if u := c.site.user(id); u != nil {
			members = append(members, u)
		}
	}
	listReply(c, members, userFields.Get(), "users", "user", func(u *user) obj { return userJSON(u) })
}

func (g *group) has(uid string) bool {
	for _, id := range g.members {
		if id == uid {
			return true
		}
	}
	return false
}

func hGroupAddUser(c *call) {
	g, ok := c.findGroup()
	if !ok {
		return
	}
	if err := c.requireAdmin("change group membership"); err != nil {
		c.fail(err)
		return
	}
	m, err := c.decode("user", true)
	if err != nil {
		c.fail(err)
		return
	}
	uid, _, err := sval(m, "user", "id")
	if err != nil {
		c.fail(err)
		return
	}
	if uid == "" {
		c.fail(badRequest("'user.id' is required."))
		return
	}
	u, ok := c.findUser(uid)
	if !ok {
		return
	}
	if g.has(u.id) {
		c.fail(newErr(http.StatusConflict, "409011", "User '"+u.name+"' is already a member of group '"+g.name+"'."))
		return
	}
	g.members = append(g.members, u.id)
	c.ok(http.StatusOK, obj{"user": userJSON(u)})
}

func hGroupRemoveUser(c *call) {
	g, ok := c.findGroup()
	if !ok {
		return
	}
	if err := c.requireAdmin("change group membership"); err != nil {
		c.fail(err)
		return
	}
	u, ok := c.findUser(c.param(2))
	if !ok {
		return
	}
	if !g.has(u.id) {
		c.fail(newErr(http.StatusNotFound, "404002", "User '"+u.id+"' is not a member of group '"+g.name+"'."))
		return
	}
	if g.name == "All Users" {
		c.fail(newErr(http.StatusForbidden, "403000", "Users cannot leave 'All Users'; remove them from the site instead."))
		return
	}
	g.members = without(g.members, func(id string) bool { return id == u.id })
	c.empty(http.StatusNoContent)
}
