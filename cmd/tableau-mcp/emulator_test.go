package main

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/tableau"
)

// TestEmulatorCommandServesWhatItPrints runs `tableau-mcp emulator` and signs
// in to it with exactly the settings it prints.
func TestEmulatorCommandServesWhatItPrints(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runEmulator(ctx, &config{Listen: "127.0.0.1:0"}, pw)
		pw.Close()
	}()
	settings := map[string]string{}
	sc := bufio.NewScanner(pr)
	for settings["TABLEAU_JWT_SUB"] == "" && sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok {
			settings[k] = v
		}
	}
	go io.Copy(io.Discard, pr)
	c, err := tableau.New(tableau.Config{ServerURL: settings["TABLEAU_SERVER_URL"], Site: settings["TABLEAU_SITE"],
		PATName: settings["TABLEAU_PAT_NAME"], PATSecret: settings["TABLEAU_PAT_SECRET"]})
	if err != nil {
		t.Fatalf("printed settings %v: %v", settings, err)
	}
	raw, err := c.Invoke(ctx, backend.Call{Request: backend.Request{Method: "GET", Path: "/workbooks"}})
	if err != nil || !strings.Contains(string(raw), `"workbook"`) {
		t.Fatalf("%s %v", raw, err)
	}
	// The connected-app values it prints sign in too, as the user printed.
	app, err := tableau.New(tableau.Config{ServerURL: settings["TABLEAU_SERVER_URL"], Site: settings["TABLEAU_SITE"],
		ConnectedApp: tableau.ConnectedApp{ClientID: settings["TABLEAU_CONNECTED_APP_CLIENT_ID"], SecretID: settings["TABLEAU_CONNECTED_APP_SECRET_ID"],
			SecretValue: settings["TABLEAU_CONNECTED_APP_SECRET_VALUE"], Sub: settings["TABLEAU_JWT_SUB"]}})
	if err != nil {
		t.Fatalf("printed settings %v: %v", settings, err)
	}
	raw, err = app.Invoke(ctx, backend.Call{Request: backend.Request{Method: "GET", Scope: backend.APIScope, Path: "/sessions/current"}})
	if err != nil || !strings.Contains(string(raw), settings["TABLEAU_JWT_SUB"]) {
		t.Fatalf("%s %v", raw, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("emulator exit: %v", err)
	}
}
