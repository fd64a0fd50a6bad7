package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The server draws its charts and writes their PNGs without the standard
// image packages, so that every start does not pay for their
// initialisation and code (emulator/render's canvas and encoder, and
// tools' pngSize): a new import of one, direct or through a dependency,
// brings that cost back unnoticed. Tests may use them; the binary may not.
func TestBinaryLinksNoImagePackage(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the binary's packages")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "image" || strings.HasPrefix(p, "image/") {
			t.Errorf("the server links %s", p)
		}
	}
}
