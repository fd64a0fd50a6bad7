package tableauemu

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

func hServerInfo(c *call) {
	c.ok(http.StatusOK, obj{"serverInfo": obj{
		"productVersion": obj{"value": c.e.cfg.ProductVersion, "build": buildOf(c.e.cfg.ProductVersion)},
		"restApiVersion": c.e.cfg.APIVersion,
	}})
}

func buildOf(product string) string {
	return strings.ReplaceAll(product, ".", "") + ".26.0101.0900"
}

func signInError(detail string) *apiErr {
	return newErr(http.StatusUnauthorized, "401001", detail)
}

func hSignIn(c *call) {
	e := c.e
	m, err := c.decode("credentials", true)
	if err != nil {
		c.fail(err)
		return
	}
	if tok, ok := m["jwt"]; ok {
		raw, _ := tok.(string)
		siteURL := ""
		if so, ok, err := oval(m, "credentials", "site"); err != nil {
			c.fail(err)
			return
		} else if ok {
			if siteURL, _, err = sval(so, "credentials.site", "contentUrl"); err != nil {
				c.fail(err)
				return
			}
		}
		if e.siteByURL(siteURL) == nil {
			c.fail(signInError(fmt.Sprintf("Failed to sign in: there is no site with contentUrl '%s'.", siteURL)))
			return
		}
		jwtSignIn(c, raw, siteURL)
		return
	}
	name, _, err := sval(m, "credentials", "personalAccessTokenName")
	if err != nil {
		c.fail(err)
		return
	}
	secret, _, err := sval(m, "credentials", "personalAccessTokenSecret")
	if err != nil {
		c.fail(err)
		return
	}
	if name == "" || secret == "" {
		if _, ok := m["name"]; ok {
			c.fail(signInError("Only personal access token sign-in is emulated; user name and password are not accepted."))
			return
		}
		c.fail(badRequest("'credentials' needs personalAccessTokenName and personalAccessTokenSecret."))
		return
	}
	siteURL := ""
	if so, ok, err := oval(m, "credentials", "site"); err != nil {
		c.fail(err)
		return
	} else if ok {
		if siteURL, _, err = sval(so, "credentials.site", "contentUrl"); err != nil {
			c.fail(err)
			return
		}
	}
	s := e.siteByURL(siteURL)
	if s == nil {
		c.fail(signInError(fmt.Sprintf("Failed to sign in: there is no site with contentUrl '%s'.", siteURL)))
		return
	}
	key := patKey(s.contentURL, name)
	p, ok := e.pats[key]
	if !ok || p.Secret != secret {
		c.fail(signInError("Failed to sign in because the personal access token name or secret is incorrect, or the token has been revoked."))
		return
	}
	u := s.user(p.UserID)
	if u == nil {
		c.fail(signInError("Failed to sign in: the user of this personal access token is no longer on the site."))
		return
	}
	if u.siteRole == "Unlicensed" {
		c.fail(signInError(fmt.Sprintf("Failed to sign in: user '%s' is unlicensed.", u.name)))
		return
	}
	// One live session per PAT: a new sign-in ends the previous one.
	if old, ok := e.patSession[key]; ok {
		if os := e.sessions[old]; os != nil {
			e.endSession(os)
		}
	}
	token := newToken() + "|" + s.id
	e.sessions[token] = &session{token: token, patKey: key, siteID: s.id, userID: u.id, created: c.now, lastUse: c.now}
	e.patSession[key] = token
	e.signedIn(c, s, u, token, c.now)
}

// clock renders a duration as hours:minutes:seconds.
// signedIn records user u's sign-in at now and answers it with the session
// token, as Tableau answers a PAT or a connected app's JWT alike.
func (e *Emulator) signedIn(c *call, s *site, u *user, token string, now time.Time) {
	u.lastLogin = now
	e.stats.SignIns++
	e.stats.SignInsByUser[u.name]++
	left := e.cfg.SessionIdleTimeout
	if e.cfg.SessionLifetime > 0 {
		left = e.cfg.SessionLifetime
	}
	c.ok(http.StatusOK, obj{"credentials": obj{
		"site":                      obj{"id": s.id, "contentUrl": s.contentURL},
		"user":                      obj{"id": u.id},
		"token":                     token,
		"estimatedTimeToExpiration": clock(left),
	}})
}

func clock(d time.Duration) string {
	s := int(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

func hSignOut(c *call) {
	c.e.endSession(c.sess)
	c.e.stats.SignOuts++
	c.empty(http.StatusNoContent)
}

func hSessionCurrent(c *call) {
	u := c.user
	uo := obj{"id": u.id, "name": u.name, "siteRole": u.siteRole, "authSetting": u.authSetting,
		"externalAuthUserId": "", "language": u.language, "locale": u.locale}
	if !u.lastLogin.IsZero() {
		uo["lastLogin"] = stamp(u.lastLogin)
	}
	if u.fullName != "" {
		uo["fullName"] = u.fullName
	}
	if u.email != "" {
		uo["email"] = u.email
	}
	c.ok(http.StatusOK, obj{"session": obj{
		"site": obj{"id": c.site.id, "name": c.site.name, "contentUrl": c.site.contentURL},
		"user": uo,
	}})
}

func siteJSON(s *site, usage bool) obj {
	o := obj{
		"id": s.id, "name": s.name, "contentUrl": s.contentURL,
		"adminMode": "ContentAndUsers", "state": "Active",
		"storageQuota": itoa(s.storageQuota), "revisionHistoryEnabled": true, "revisionLimit": "25",
		"subscribeOthersEnabled": true, "disableSubscriptions": false, "catalogingEnabled": true,
		"createdAt": stamp(s.createdAt),
	}
	if usage {
		var creators, explorers, viewers, storage int
		for _, u := range s.users {
			switch u.siteRole {
			case "Creator", "SiteAdministratorCreator", "ServerAdministrator":
				creators++
			case "Explorer", "ExplorerCanPublish", "SiteAdministratorExplorer":
				explorers++
			case "Viewer":
				viewers++
			}
		}
		for _, w := range s.workbooks {
			storage += w.size
		}
		for _, d := range s.datasources {
			storage += d.size
		}
		o["usage"] = obj{"numUsers": itoa(len(s.users)), "numCreators": itoa(creators),
			"numExplorers": itoa(explorers), "numViewers": itoa(viewers), "storage": itoa(storage)}
	}
	return o
}

// hSitesList answers the sites the caller belongs to (a user of the same
// name), or all of them for a server administrator.
func hSitesList(c *call) {
	var mine []*site
	for _, s := range c.e.sites {
		if c.user.siteRole == "ServerAdministrator" || s.userByName(c.user.name) != nil {
			mine = append(mine, s)
		}
	}
	listReply(c, mine, siteFields.Get(), "sites", "site", func(s *site) obj { return siteJSON(s, false) })
}

// hSiteGet answers the signed-in site, named by LUID or, with
// ?key=contentUrl|name, by those.
func hSiteGet(c *call) {
	id := c.param(0)
	var s *site
	switch strings.ToLower(c.q.Get("key")) {
	case "", "id":
		s = c.e.siteByID(id)
	case "contenturl":
		s = c.e.siteByURL(id)
	case "name":
		for _, x := range c.e.sites {
			if x.name == id {
				s = x
			}
		}
	default:
		c.fail(badRequest("key must be id, name or contentUrl, not '%s'.", c.q.Get("key")))
		return
	}
	if s == nil {
		c.fail(newErr(http.StatusNotFound, "404000", fmt.Sprintf("Site '%s' could not be found.", id)))
		return
	}
	if s.id != c.sess.siteID {
		c.fail(newErr(http.StatusForbidden, "403000", fmt.Sprintf("This session is signed in to site '%s', not to site '%s'.", c.sess.siteID, s.id)))
		return
	}
	c.ok(http.StatusOK, obj{"site": siteJSON(s, c.usage())})
}
