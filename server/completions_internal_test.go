package server

import (
	"fmt"
	"testing"
)

func TestMatchCapsAtOneHundredAndOrdersPrefixesFirst(t *testing.T) {
	var items []named
	for i := range 150 {
		items = append(items, named{id: fmt.Sprintf("id-%03d", i), name: fmt.Sprintf("Report %03d", i)})
	}
	items = append(items, named{id: "x", name: "A report first by name"}, named{id: "y", name: "Other"})
	c := match(items, "REPORT", false)
	if len(c.Values) != 100 || c.Total != 151 || !c.HasMore {
		t.Fatalf("%d values, total %d, hasMore %v; want 100, 151, true", len(c.Values), c.Total, c.HasMore)
	}
	if c.Values[0] != "Report 000" || c.Values[99] != "Report 099" {
		t.Errorf("names starting with what was typed come first, in order: %q ... %q", c.Values[0], c.Values[99])
	}
	c = match(items, "id-14", true)
	if len(c.Values) != 10 || c.HasMore || c.Values[0] != "id-140" {
		t.Errorf("ID prefix: %v", c.Values)
	}
	if c := match(items, "nothing like it", true); len(c.Values) != 0 || c.Values == nil {
		t.Errorf("no match gives an empty list, not null: %#v", c.Values)
	}
}
