package demo

import (
	"net/http"

	"go.uber.org/zap"

	scalekitemu "github.com/tableau-mcp/tableau-mcp/emulator/scalekit"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	"github.com/tableau-mcp/tableau-mcp/scalekit"
)

// Demo identifiers and credentials of the in-process Scalekit.
const (
	ScalekitURL          = "http://scalekit.tableau-mcp.invalid"
	ScalekitClientID     = "skc_demo"
	ScalekitClientSecret = "demo-client-secret"
	DemoIdentifier       = "demo-user"
)

// ViaScalekit wires the whole Scalekit path in memory: a Scalekit emulator
// that holds a connected account (identifier DemoIdentifier) signed in to
// the Tableau emulator with its demo PAT, and the Scalekit backend talking
// to it. Both emulators are returned so that tests can steer them.
func ViaScalekit(log *zap.Logger, tune ...func(*scalekit.Config)) (*scalekit.Client, *scalekitemu.Emulator, *tableauemu.Emulator, error) {
	tab, _ := NewSite(tableauemu.Config{})
	sk := scalekitemu.New(scalekitemu.Config{
		ClientID: ScalekitClientID, ClientSecret: ScalekitClientSecret,
		TableauURL: BaseURL,
		HTTPClient: &http.Client{Transport: HandlerTransport{Handler: tab}},
	})
	pat := tab.DefaultPAT()
	sk.AddAccount(scalekitemu.Account{Identifier: DemoIdentifier, PATName: pat.Name, PATSecret: pat.Secret, SiteContentURL: pat.SiteContentURL})
	cfg := scalekit.Config{
		EnvironmentURL: ScalekitURL, ClientID: ScalekitClientID, ClientSecret: ScalekitClientSecret,
		HTTPClient: &http.Client{Transport: HandlerTransport{Handler: sk}},
		Logger:     log,
	}
	for _, f := range tune {
		f(&cfg)
	}
	c, err := scalekit.New(cfg)
	return c, sk, tab, err
}
