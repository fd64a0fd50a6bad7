package lazy

import (
	"sync"
	"testing"
)

func TestBuiltOnceOnFirstGet(t *testing.T) {
	builds := 0
	v := Value[map[string]int]{Build: func() map[string]int { builds++; return map[string]int{"a": 1} }}
	if builds != 0 {
		t.Fatal("built before first use")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v.Get()["a"] != 1 {
				t.Error("wrong value")
			}
		})
	}
	wg.Wait()
	if builds != 1 {
		t.Errorf("built %d times, want once", builds)
	}
}
