package server_test

import (
	"net/http"
	"testing"

	"github.com/mark3labs/mcp-go/client"

	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

// directTrustClient is the tableau backend signing in to the emulated site
// with its connected app as sub, with the scopes of the tools served.
func directTrustClient(t testing.TB, emu *tableauemu.Emulator, sub string, served []tools.Tool) *tableau.Client {
	t.Helper()
	app := emu.DefaultConnectedApp()
	var names []string
	for _, tool := range served {
		names = append(names, tool.Name)
	}
	scopes, err := tableau.ToolScopes(names)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tableau.New(tableau.Config{
		ServerURL: demo.BaseURL, Site: app.SiteContentURL, Scopes: scopes,
		ConnectedApp: tableau.ConnectedApp{ClientID: app.ClientID, SecretID: app.SecretID, SecretValue: app.SecretValue, Sub: sub},
		HTTPClient:   &http.Client{Transport: demo.HandlerTransport{Handler: emu}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEveryToolThroughDirectTrust walks the whole catalogue signed in with
// the connected app: the emulator enforces each route's JWT scope, so a tool
// whose scopes are missing from the JWT fails here.
func TestEveryToolThroughDirectTrust(t *testing.T) {
	emu, _ := demo.NewSite(tableauemu.Config{})
	b := directTrustClient(t, emu, "admin@example.com", tools.All())
	s, err := server.New(server.Options{Version: "test", Backend: b, AllowDestructive: true, Exports: tools.ExportOptions{ImportDir: walkImportDir(t)}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	walkEveryTool(t, Start(t, c))
	// One sign-in, and one more after tableau_auth_signout.
	if st := emu.Stats(); st.JWTSignIns != 2 || st.SignInsByUser["admin@example.com"] != 2 {
		t.Errorf("%d connected-app sign-ins (%v), want 2", st.JWTSignIns, st.SignInsByUser)
	}
}

// TestDirectTrustScopesAreThoseOfTheToolsServed: a read-only selection asks
// for read scopes only, and Tableau refuses what they do not grant.
func TestDirectTrustScopesAreThoseOfTheToolsServed(t *testing.T) {
	emu, _ := demo.NewSite(tableauemu.Config{})
	served, err := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"workbooks", "views"}, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	b := directTrustClient(t, emu, "admin@example.com", served)
	if _, scopes := b.DirectTrust(); len(scopes) != 1 || scopes[0] != "tableau:content:read" {
		t.Fatalf("scopes %v, want [tableau:content:read]", scopes)
	}
	s, err := server.New(server.Options{Version: "test", Backend: b, Tools: served})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	sess := Start(t, c)
	sess.OK("tableau_workbooks_list", nil)
	sess.OK("tableau_views_list", nil)
	// Another process serving all tools with this narrow app session would be
	// refused by Tableau: the session really carries only these scopes.
	narrow := directTrustClient(t, emu, "vic.viewer@example.com", served)
	s2, _ := server.New(server.Options{Version: "test", Backend: narrow})
	c2, _ := client.NewInProcessClient(s2)
	Start(t, c2).Fail("tableau_users_list", nil, "403157", "tableau:users:read")
}
