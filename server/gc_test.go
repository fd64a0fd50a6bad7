package server

import (
	"os"
	"runtime/debug"
	"testing"
)

// Serving HTTP collects garbage less often, unless the operator set GOGC.
func TestServingTunesTheCollectorUnlessGOGCIsSet(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	t.Setenv("GOGC", "50") // restored after the test
	tuneGCForServing()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the collector's target became %d", got)
	}
	os.Unsetenv("GOGC")
	tuneGCForServing()
	if got := debug.SetGCPercent(100); got != servingGCPercent {
		t.Errorf("without GOGC, the collector's target is %d, want %d", got, servingGCPercent)
	}
}
