package tableauemu

import (
	"fmt"
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"sort"
	"strings"
)

var capabilityNames = lazy.Value[map[string][]string]{Build: func() map[string][]string {
	return map[string][]string{
		"workbook": {"AddComment", "ChangeHierarchy", "ChangePermissions", "CreateRefreshMetrics", "Delete",
			"ExportData", "ExportImage", "ExportXml", "ExtractRefresh", "Filter", "Read", "RunExplainData",
			"ShareView", "ViewComments", "ViewUnderlyingData", "WebAuthoring", "Write"},
		"datasource": {"ChangeHierarchy", "ChangePermissions", "Connect", "Delete", "ExportXml", "ExtractRefresh",
			"Read", "SaveAs", "VizqlDataApiAccess", "Write"},
		"project": {"ProjectLeader", "Read", "Write"},
	}

}}

func validCapability(kind, name string) bool {
	for _, n := range capabilityNames.Get()[kind] {
		if n == name {
			return true
		}
	}
	return false
}

func badCapability(format string, a ...any) *apiErr {
	return newErr(http.StatusBadRequest, "400009", fmt.Sprintf(format, a...))
}

// permTarget finds the workbook, data source or project named in the path.
func (c *call) permTarget(kind string) (id, name, ownerID string, ok bool) {
	id = c.param(1)
	switch kind {
	case "workbook":
		if w := c.site.workbook(id); w != nil {
			return w.id, w.name, w.ownerID, true
		}
		c.fail(notFound("404006", "Workbook", id))
	case "datasource":
		if d := c.site.datasource(id); d != nil {
			return d.id, d.name, d.ownerID, true
		}
		c.fail(notFound("404011", "Data source", id))
	case "project":
		if p := c.site.project(id); p != nil {
			return p.id, p.name, p.ownerID, true
		}
		c.fail(notFound("404005", "Project", id))
	}
	return "", "", "", false
}

func grantJSON(g *grant) obj {
	caps := make([]obj, len(g.caps))
	for i, k := range g.caps {
		caps[i] = obj{"name": k.name, "mode": k.mode}
	}
	return obj{g.granteeType: obj{"id": g.granteeID}, "capabilities": collection("capability", caps)}
}

func permsAnswer(kind, id, name, ownerID string, grants []*grant) obj {
	p := obj{kind: obj{"id": id, "name": name, "owner": obj{"id": ownerID}}}
	if len(grants) > 0 {
		list := make([]obj, len(grants))
		for i, g := range grants {
			list[i] = grantJSON(g)
		}
		p["granteeCapabilities"] = list
	}
	return obj{"permissions": p}
}

func permsGet(kind string) handlerFunc {
	return func(c *call) {
		id, name, owner, ok := c.permTarget(kind)
		if !ok {
			return
		}
		c.ok(http.StatusOK, permsAnswer(kind, id, name, owner, c.site.perms[id]))
	}
}

// permsPut adds the capabilities in the body; a capability already granted
// to the grantee with the other mode is replaced. It answers what was added.
func permsPut(kind string) handlerFunc {
	return func(c *call) {
		id, name, owner, ok := c.permTarget(kind)
		if !ok {
			return
		}
		if err := c.requireOwnerOrAdmin(owner, "change the permissions of '"+name+"'"); err != nil {
			c.fail(err)
			return
		}
		m, err := c.decode("permissions", true)
		if err != nil {
			c.fail(err)
			return
		}
		items, present, err := lval(m, "permissions", "granteeCapabilities")
		if err != nil {
			c.fail(err)
			return
		}
		if !present || len(items) == 0 {
			c.fail(badRequest("'permissions.granteeCapabilities' must list at least one grantee with capabilities."))
			return
		}
		var added []*grant
		for i, it := range items {
			path := fmt.Sprintf("permissions.granteeCapabilities[%d]", i)
			g := &grant{}
			uid, hasUser, err := idval(it, path, "user")
			if err != nil {
				c.fail(err)
				return
			}
			gid, hasGroup, err := idval(it, path, "group")
			if err != nil {
				c.fail(err)
				return
			}
			switch {
			case hasUser == hasGroup:
				c.fail(badRequest("'%s' needs exactly one of user{id} or group{id}.", path))
				return
			case hasUser:
				if c.site.user(uid) == nil {
					c.fail(notFound("404002", "User", uid))
					return
				}
				g.granteeType, g.granteeID = "user", uid
			default:
				if c.site.group(gid) == nil {
					c.fail(notFound("404012", "Group", gid))
					return
				}
				g.granteeType, g.granteeID = "group", gid
			}
			capsObj, ok, err := oval(it, path, "capabilities")
			if err != nil {
				c.fail(err)
				return
			}
			var caps []jobj
			if ok {
				if caps, _, err = lval(capsObj, path+".capabilities", "capability"); err != nil {
					c.fail(err)
					return
				}
			}
			if len(caps) == 0 {
				c.fail(badRequest("'%s.capabilities.capability' must list at least one {name, mode}.", path))
				return
			}
			for j, k := range caps {
				kp := fmt.Sprintf("%s.capabilities.capability[%d]", path, j)
				cn, _, err := sval(k, kp, "name")
				if err != nil {
					c.fail(err)
					return
				}
				mode, _, err := sval(k, kp, "mode")
				if err != nil {
					c.fail(err)
					return
				}
				if !validCapability(kind, cn) {
					c.fail(badCapability("'%s' is not a %s capability; valid ones: %s.", cn, kind, strings.Join(capabilityNames.Get()[kind], ", ")))
					return
				}
				if mode != "Allow" && mode != "Deny" {
					c.fail(badCapability("Capability mode '%s' for %s must be Allow or Deny.", mode, cn))
					return
				}
				g.caps = append(g.caps, capability{cn, mode})
			}
			added = append(added, g)
		}
		for _, g := range added {
			c.site.grant(id, g)
		}
		c.ok(http.StatusOK, permsAnswer(kind, id, name, owner, added))
	}
}

// grant merges g into the grants on content id.
func (s *site) grant(id string, g *grant) {
	var cur *grant
	for _, x := range s.perms[id] {
		if x.granteeType == g.granteeType && x.granteeID == g.granteeID {
			cur = x
		}
	}
	if cur == nil {
		cur = &grant{granteeType: g.granteeType, granteeID: g.granteeID}
		s.perms[id] = append(s.perms[id], cur)
	}
	for _, k := range g.caps {
		replaced := false
		for i := range cur.caps {
			if cur.caps[i].name == k.name {
				cur.caps[i].mode, replaced = k.mode, true
			}
		}
		if !replaced {
			cur.caps = append(cur.caps, k)
		}
	}
	sort.SliceStable(cur.caps, func(i, j int) bool { return cur.caps[i].name < cur.caps[j].name })
}

// permsDelete removes one capability:
// .../permissions/{users|groups}/{grantee}/{capability}/{Allow|Deny}.
func permsDelete(kind string) handlerFunc {
	return func(c *call) {
		id, name, owner, ok := c.permTarget(kind)
		if !ok {
			return
		}
		gtype, gid, cn, mode := c.param(2), c.param(3), c.param(4), c.param(5)
		switch gtype {
		case "users":
			if c.site.user(gid) == nil {
				c.fail(notFound("404002", "User", gid))
				return
			}
		case "groups":
			if c.site.group(gid) == nil {
				c.fail(notFound("404012", "Group", gid))
				return
			}
		default:
			c.fail(endpointNotFound(c.r.URL.Path))
			return
		}
		if !validCapability(kind, cn) {
			c.fail(badCapability("'%s' is not a %s capability.", cn, kind))
			return
		}
		if mode != "Allow" && mode != "Deny" {
			c.fail(badCapability("Capability mode '%s' must be Allow or Deny.", mode))
			return
		}
		if err := c.requireOwnerOrAdmin(owner, "change the permissions of '"+name+"'"); err != nil {
			c.fail(err)
			return
		}
		gt := strings.TrimSuffix(gtype, "s")
		for gi, g := range c.site.perms[id] {
			if g.granteeType != gt || g.granteeID != gid {
				continue
			}
			for i, k := range g.caps {
				if k.name == cn && k.mode == mode {
					g.caps = append(g.caps[:i:i], g.caps[i+1:]...)
					if len(g.caps) == 0 {
						list := c.site.perms[id]
						c.site.perms[id] = append(list[:gi:gi], list[gi+1:]...)
					}
					c.empty(http.StatusNoContent)
					return
				}
			}
		}
		c.fail(newErr(http.StatusNotFound, "404001", fmt.Sprintf("Capability %s:%s is not granted to %s '%s' on %s '%s'.", cn, mode, gt, gid, kind, name)))
	}
}
