package tableauemu

import (
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"net/http"
	"strings"
)

// The fields query parameter of the list methods that support it (Query
// Workbooks, Views and Data Sources for Site, Query Projects, Get Users on
// Site): _default_, _all_, or a comma list of field names, sub-resource
// fields written with a dot (owner.name). A name the resource does not
// have is refused with 400, as Tableau does.
var fieldNamesFor = lazy.Value[map[string][]string]{Build: func() map[string][]string {
	return map[string][]string{
		"workbook":   strings.Fields("id name description contentUrl webpageUrl showTabs size createdAt updatedAt encryptExtracts defaultViewId sheetCount hasExtracts project.id project.name project.description owner.id owner.name owner.email tags"),
		"view":       strings.Fields("id name contentUrl viewUrlName sheetType createdAt updatedAt workbook.id workbook.name owner.id owner.name project.id project.name tags usage.totalViewCount"),
		"datasource": strings.Fields("id name description type contentUrl webpageUrl createdAt updatedAt encryptExtracts hasExtracts isCertified certificationNote useRemoteQueryAgent project.id project.name owner.id owner.name tags"),
		"user":       strings.Fields("id name fullName email siteRole authSetting lastLogin externalAuthUserId locale language domainName"),
		"project":    strings.Fields("id name description contentPermissions parentProjectId controllingPermissionsProjectId createdAt updatedAt owner.id owner.name owner.email topLevelProject writeable"),
	}

}}

// wantsFields reports whether the request names fields beyond the default.
func (c *call) wantsFields() bool {
	f := c.q.Get("fields")
	return f != "" && f != "_default_"
}

// selectFields keeps the fields the request names of one item, whose obj
// was built with every sub-resource name filled in.
func (c *call) selectFields(kind string, o obj) (obj, *apiErr) {
	spec := c.q.Get("fields")
	if spec == "" || spec == "_all_" {
		return o, nil
	}
	allowed := fieldNamesFor.Get()[kind]
	out := obj{}
	for _, name := range strings.Split(spec, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "_default_" || name == "_all_":
			for k, v := range o {
				out[k] = v
			}
			continue
		case !hasName(allowed, name):
			return nil, newErr(http.StatusBadRequest, "400000", "The field '"+name+"' is not a valid field for a "+kind+"; fields are: "+strings.Join(allowed, ", ")+".")
		}
		top, sub, nested := strings.Cut(name, ".")
		if kind == "user" && name == "domainName" {
			out["domain"] = o["domain"]
			continue
		}
		v, ok := o[top]
		if !ok {
			continue
		}
		if !nested {
			out[top] = v
			continue
		}
		src, _ := v.(obj)
		if src == nil {
			continue
		}
		if sv, ok := src[sub]; ok {
			dst, _ := out[top].(obj)
			if dst == nil {
				dst = obj{}
				out[top] = dst
			}
			dst[sub] = sv
		}
	}
	return out, nil
}

func hasName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
