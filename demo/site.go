package demo

import (
	"context"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	vizqlemu "github.com/tableau-mcp/tableau-mcp/emulator/vizql"
)

// NewSite builds the Tableau emulator with its VizQL Data Service mounted:
// /api/v1/vizql-data-service/read-metadata and /query-datasource answer for
// the site's published data sources over the generated sample data. Every
// place that serves an emulated site to the server (the demo backend, the
// Scalekit demo, `tableau-mcp emulator`, test fixtures) builds it here.
func NewSite(cfg tableauemu.Config) (*tableauemu.Emulator, *vizqlemu.Service) {
	var emu *tableauemu.Emulator
	vds := vizqlemu.New(func(ctx context.Context, luid string) (string, bool) { return emu.DatasourceNameOnSite(ctx, luid) })
	cfg.VizQL = vds
	emu = tableauemu.New(cfg)
	return emu, vds
}
