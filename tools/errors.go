package tools

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/backend"
)

// explain writes an upstream or input failure as a message the model can act
// on: what Tableau said (code, summary, detail) and what to do next.
func explain(t Tool, err error) string {
	var ue *backend.UserError
	if errors.As(err, &ue) {
		return ue.Msg
	}
	var ae *backend.APIError
	if !errors.As(err, &ae) {
		return fmt.Sprintf("%s failed: %v", t.Name, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %s.", t.Name, strings.TrimSuffix(ae.Error(), "."))
	if hint := hintFor(t, ae); hint != "" {
		b.WriteString(" " + hint)
	}
	return b.String()
}

func hintFor(t Tool, ae *backend.APIError) string {
	if t.Toolset == "query" {
		if hint := vdsHint(ae); hint != "" {
			return hint
		}
	}
	switch {
	case ae.Status == 400 && (ae.Code == "400065" || ae.Code == "400066"):
		return filterHelp(t.Name)
	case ae.Status == 400 && ae.Code == "400013":
		return "Site roles are: " + strings.Join(siteRoles, ", ") + "."
	case ae.Status == 404:
		if ids := idParams(t); len(ids) > 0 {
			var srcs []string
			for _, id := range ids {
				srcs = append(srcs, id+" from "+IDSource(id))
			}
			return "The item does not exist on this site (wrong ID, or it was deleted). Do not guess IDs: get " + strings.Join(srcs, "; ") + "."
		}
		return "The resource or endpoint was not found; the server may run an older Tableau version without this feature."
	case ae.Status == 403:
		return "The signed-in Tableau user lacks the permission (site role or content permissions) for this; a site administrator can grant it. Retrying will not help."
	case ae.Status == 409:
		return "It conflicts with what exists (already exists, already a member, or a job that has already finished); list first to see the current state."
	case ae.Status == 400:
		return "Tableau rejected the arguments; check the values (filter and sort use field:operator:value and field:asc|desc; site roles, capability names and modes must be spelled exactly)."
	case ae.Status == 401:
		return "Tableau rejected the credentials even after signing in again; the Personal Access Token may be revoked or expired."
	case ae.Status == 405:
		return "This Tableau deployment does not support that operation (e.g. schedules exist only on Tableau Server)."
	case ae.Status == 429:
		return "Tableau is rate limiting requests; wait a little before retrying, and prefer fewer, larger pages."
	case ae.Status >= 500 && ae.Unrepeated:
		return "" // the error already says to check the outcome first
	case ae.Status >= 500:
		return "Tableau had a server-side problem; retry later."
	}
	return ""
}

func idParams(t Tool) []string {
	t = t.full()
	var ids []string
	for _, f := range fieldsOf(t.args) {
		if isIDParam(f.name) {
			ids = append(ids, f.name)
		}
	}
	return ids
}
