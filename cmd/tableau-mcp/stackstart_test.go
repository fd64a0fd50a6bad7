package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// internal/stackstart grows the main goroutine's stack before the deep
// package initialisations; it only helps if it initialises before them.
// This test binary links the same packages, so its initialisation order
// (printed by GODEBUG=inittrace=1) says where stackstart runs.
func TestStackStartInitialisesFirst(t *testing.T) {
	if os.Getenv("STACKSTART_CHILD") == "1" {
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStackStartInitialisesFirst$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1", "STACKSTART_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var order []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "init" {
			order = append(order, f[1])
		}
	}
	at := func(pkg string) int {
		for i, p := range order {
			if p == pkg {
				return i
			}
		}
		t.Fatalf("%s not in the initialisation order:\n%s", pkg, strings.Join(order, "\n"))
		return -1
	}
	first := at("github.com/tableau-mcp/tableau-mcp/internal/stackstart")
	for _, deep := range []string{"regexp", "encoding/json", "github.com/santhosh-tekuri/jsonschema/v6", "github.com/mark3labs/mcp-go/server"} {
		if at(deep) < first {
			t.Errorf("%s initialises before internal/stackstart: %s", deep, strings.Join(order[:first+1], " "))
		}
	}
}
