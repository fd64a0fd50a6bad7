package vizqlemu

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// filtered runs SUM(Sales) and COUNT(Order ID) with one or more filters and
// checks them against the rows that pass keep.
func checkFiltered(t *testing.T, filters []obj, keep func(tb *sampledata.Table, r []any) bool) {
	t.Helper()
	tb := table(t, sampledata.SuperstoreOrders)
	var sales float64
	lines := 0
	for _, r := range tb.Rows {
		if keep(tb, r) {
			sales += cell(tb, r, "Sales").(float64)
			lines++
		}
	}
	if lines == 0 || lines == len(tb.Rows) {
		t.Fatalf("test filter keeps %d of %d rows; pick one that discriminates", lines, len(tb.Rows))
	}
	q := fields(fn("Sales", "SUM"), fn("Order ID", "COUNT"))
	q["filters"] = filters
	rows := ss(t, q, nil)
	if len(rows) != 1 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	if got := num(t, rows[0]["COUNT(Order ID)"]); got != float64(lines) {
		t.Errorf("COUNT = %v, want %d", got, lines)
	}
	if got := num(t, rows[0]["SUM(Sales)"]); !approx(got, sales) {
		t.Errorf("SUM(Sales) = %v, want %v", got, sales)
	}
}

func str(tb *sampledata.Table, r []any, c string) string { return cell(tb, r, c).(string) }

func TestSetFilter(t *testing.T) {
	t.Run("include", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Region"), "filterType": "SET", "values": []string{"East", "West"}, "exclude": false}},
			func(tb *sampledata.Table, r []any) bool { s := str(tb, r, "Region"); return s == "East" || s == "West" })
	})
	t.Run("exclude", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Category"), "filterType": "SET", "values": []string{"Technology"}, "exclude": true}},
			func(tb *sampledata.Table, r []any) bool { return str(tb, r, "Category") != "Technology" })
	})
	t.Run("year of a date", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": fn("Order Date", "YEAR"), "filterType": "SET", "values": []int{2024, 2026}}},
			func(tb *sampledata.Table, r []any) bool {
				y := cell(tb, r, "Order Date").(time.Time).Year()
				return y == 2024 || y == 2026
			})
	})
	t.Run("date values", func(t *testing.T) {
		tb := table(t, sampledata.SuperstoreOrders)
		d1 := cell(tb, tb.Rows[100], "Order Date").(time.Time)
		d2 := cell(tb, tb.Rows[2000], "Order Date").(time.Time)
		checkFiltered(t, []obj{{"field": dim("Order Date"), "filterType": "SET",
			"values": []string{d1.Format("2006-01-02"), d2.Format("2006-01-02")}}},
			func(tb *sampledata.Table, r []any) bool {
				d := cell(tb, r, "Order Date").(time.Time)
				return d.Equal(d1) || d.Equal(d2)
			})
	})
	t.Run("null value", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Ship Date"), "filterType": "SET", "values": []any{nil}}},
			func(tb *sampledata.Table, r []any) bool { return cell(tb, r, "Ship Date") == nil })
	})
}

func TestMatchFilter(t *testing.T) {
	t.Run("contains, any case", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Product Name"), "filterType": "MATCH", "contains": "CHAIR"}},
			func(tb *sampledata.Table, r []any) bool {
				return strings.Contains(strings.ToLower(str(tb, r, "Product Name")), "chair")
			})
	})
	t.Run("startsWith", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("City"), "filterType": "MATCH", "startsWith": "San"}},
			func(tb *sampledata.Table, r []any) bool { return strings.HasPrefix(str(tb, r, "City"), "San") })
	})
	t.Run("endsWith and startsWith together", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Customer Name"), "filterType": "MATCH", "startsWith": "a", "endsWith": "TON"}},
			func(tb *sampledata.Table, r []any) bool {
				n := strings.ToLower(str(tb, r, "Customer Name"))
				return strings.HasPrefix(n, "a") && strings.HasSuffix(n, "ton")
			})
	})
	t.Run("exclude", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Ship Mode"), "filterType": "MATCH", "endsWith": "Class", "exclude": true}},
			func(tb *sampledata.Table, r []any) bool { return !strings.HasSuffix(str(tb, r, "Ship Mode"), "Class") })
	})
}

func TestQuantitativeNumericalFilter(t *testing.T) {
	sales := func(tb *sampledata.Table, r []any) float64 { return cell(tb, r, "Sales").(float64) }
	t.Run("RANGE", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Sales"), "filterType": "QUANTITATIVE_NUMERICAL",
			"quantitativeFilterType": "RANGE", "min": 100, "max": 500}},
			func(tb *sampledata.Table, r []any) bool { s := sales(tb, r); return s >= 100 && s <= 500 })
	})
	t.Run("MIN", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Sales"), "filterType": "QUANTITATIVE_NUMERICAL",
			"quantitativeFilterType": "MIN", "min": 1000}},
			func(tb *sampledata.Table, r []any) bool { return sales(tb, r) >= 1000 })
	})
	t.Run("MAX on an integer", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Quantity"), "filterType": "QUANTITATIVE_NUMERICAL",
			"quantitativeFilterType": "MAX", "max": 2}},
			func(tb *sampledata.Table, r []any) bool { return cell(tb, r, "Quantity").(int64) <= 2 })
	})
}

func TestQuantitativeNullHandling(t *testing.T) {
	s := newService()
	leads := table(t, sampledata.MarketingLeads)
	var nulls, nonNulls, inRange int
	for _, r := range leads.Rows {
		v := cell(leads, r, "Pipeline Value")
		switch {
		case v == nil:
			nulls++
		default:
			nonNulls++
			if x := v.(float64); x >= 10000 && x <= 30000 {
				inRange++
			}
		}
	}
	count := func(filter obj) float64 {
		q := fields(fn("Lead ID", "COUNT"))
		q["filters"] = []obj{filter}
		rows := runQuery(t, s, luidLeads, q, nil)
		if len(rows) == 0 {
			return 0
		}
		return num(t, rows[0]["COUNT(Lead ID)"])
	}
	base := obj{"field": dim("Pipeline Value"), "filterType": "QUANTITATIVE_NUMERICAL"}
	if got := count(with(base, "quantitativeFilterType", "ONLY_NULL")); got != float64(nulls) {
		t.Errorf("ONLY_NULL: %v, want %d", got, nulls)
	}
	if got := count(with(base, "quantitativeFilterType", "ONLY_NON_NULL")); got != float64(nonNulls) {
		t.Errorf("ONLY_NON_NULL: %v, want %d", got, nonNulls)
	}
	rng := with(base, "quantitativeFilterType", "RANGE", "min", 10000, "max", 30000)
	if got := count(rng); got != float64(inRange) {
		t.Errorf("RANGE: %v, want %d", got, inRange)
	}
	if got := count(with(rng, "includeNulls", true)); got != float64(inRange+nulls) {
		t.Errorf("RANGE with includeNulls: %v, want %d", got, inRange+nulls)
	}
}

// TestAggregateFilterAppliesAfterGrouping: a SUM(Sales) filter keeps the
// answer rows (customers) whose total passes, not the order lines.
func TestAggregateFilterAppliesAfterGrouping(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	totals := map[string]float64{}
	for _, r := range tb.Rows {
		totals[str(tb, r, "Customer Name")] += cell(tb, r, "Sales").(float64)
	}
	var want []string
	for c, v := range totals {
		if v >= 20000 {
			want = append(want, c)
		}
	}
	sort.Strings(want)
	if len(want) == 0 || len(want) == len(totals) {
		t.Fatalf("threshold keeps %d of %d customers", len(want), len(totals))
	}
	q := fields(dim("Customer Name"), fn("Order ID", "COUNTD"))
	q["filters"] = []obj{{"field": fn("Sales", "SUM"), "filterType": "QUANTITATIVE_NUMERICAL",
		"quantitativeFilterType": "MIN", "min": 20000}}
	rows := ss(t, q, nil)
	var got []string
	for _, r := range rows {
		got = append(got, r["Customer Name"].(string))
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("customers with SUM(Sales) >= 20000:\n got %v\nwant %v", got, want)
	}
}

func TestQuantitativeDateFilter(t *testing.T) {
	od := func(tb *sampledata.Table, r []any) time.Time { return cell(tb, r, "Order Date").(time.Time) }
	t.Run("RANGE includes both ends", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Order Date"), "filterType": "QUANTITATIVE_DATE",
			"quantitativeFilterType": "RANGE", "minDate": "2024-03-01", "maxDate": "2024-05-31"}},
			func(tb *sampledata.Table, r []any) bool {
				d := od(tb, r)
				return !d.Before(day("2024-03-01")) && !d.After(day("2024-05-31"))
			})
	})
	t.Run("MIN", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Order Date"), "filterType": "QUANTITATIVE_DATE",
			"quantitativeFilterType": "MIN", "minDate": "2026-01-01"}},
			func(tb *sampledata.Table, r []any) bool { return !od(tb, r).Before(day("2026-01-01")) })
	})
	t.Run("MAX", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Order Date"), "filterType": "QUANTITATIVE_DATE",
			"quantitativeFilterType": "MAX", "maxDate": "2023-06-30"}},
			func(tb *sampledata.Table, r []any) bool { return !od(tb, r).After(day("2023-06-30")) })
	})
	t.Run("ONLY_NULL", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Ship Date"), "filterType": "QUANTITATIVE_DATE",
			"quantitativeFilterType": "ONLY_NULL"}},
			func(tb *sampledata.Table, r []any) bool { return cell(tb, r, "Ship Date") == nil })
	})
	t.Run("RANGE drops nulls", func(t *testing.T) {
		checkFiltered(t, []obj{{"field": dim("Ship Date"), "filterType": "QUANTITATIVE_DATE",
			"quantitativeFilterType": "RANGE", "minDate": "2026-10-01", "maxDate": "2026-12-31"}},
			func(tb *sampledata.Table, r []any) bool {
				d, ok := cell(tb, r, "Ship Date").(time.Time)
				return ok && !d.Before(day("2026-10-01"))
			})
	})
}

// TestRelativeDateFilter uses windows worked out by hand from the calendar
// (2026-10-31 is a Saturday; weeks start on Sunday).
func TestRelativeDateFilter(t *testing.T) {
	cases := []struct {
		name     string
		filter   obj
		from, to string // inclusive
	}{
		{"current year", obj{"periodType": "YEARS", "dateRangeType": "CURRENT"}, "2026-01-01", "2026-12-31"},
		{"last year", obj{"periodType": "YEARS", "dateRangeType": "LAST"}, "2025-01-01", "2025-12-31"},
		{"last 3 months", obj{"periodType": "MONTHS", "dateRangeType": "LASTN", "rangeN": 3}, "2026-08-01", "2026-10-31"},
		{"current quarter", obj{"periodType": "QUARTERS", "dateRangeType": "CURRENT"}, "2026-10-01", "2026-12-31"},
		{"last quarter", obj{"periodType": "QUARTERS", "dateRangeType": "LAST"}, "2026-07-01", "2026-09-30"},
		{"current week", obj{"periodType": "WEEKS", "dateRangeType": "CURRENT"}, "2026-10-25", "2026-10-31"},
		{"last 2 weeks", obj{"periodType": "WEEKS", "dateRangeType": "LASTN", "rangeN": 2}, "2026-10-18", "2026-10-31"},
		{"last 30 days", obj{"periodType": "DAYS", "dateRangeType": "LASTN", "rangeN": 30}, "2026-10-02", "2026-10-31"},
		{"yesterday", obj{"periodType": "DAYS", "dateRangeType": "LAST"}, "2026-10-30", "2026-10-30"},
		{"year to date at an anchor", obj{"periodType": "YEARS", "dateRangeType": "TODATE", "anchorDate": "2025-06-15"}, "2025-01-01", "2025-06-15"},
		{"next month at an anchor", obj{"periodType": "MONTHS", "dateRangeType": "NEXT", "anchorDate": "2025-12-10"}, "2026-01-01", "2026-01-31"},
		{"next 2 months at an anchor", obj{"periodType": "MONTHS", "dateRangeType": "NEXTN", "rangeN": 2, "anchorDate": "2025-12-10"}, "2025-12-01", "2026-01-31"},
		{"current month at an anchor", obj{"periodType": "MONTHS", "dateRangeType": "CURRENT", "anchorDate": "2024-02-20"}, "2024-02-01", "2024-02-29"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			from, to := day(c.from), day(c.to)
			f := with(c.filter, "field", dim("Order Date"), "filterType", "DATE")
			checkFiltered(t, []obj{f}, func(tb *sampledata.Table, r []any) bool {
				d := cell(tb, r, "Order Date").(time.Time)
				return !d.Before(from) && !d.After(to)
			})
		})
	}
}

func TestTopFilter(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	rank := func(keep func(r []any) bool, measure string, n int, top bool) []string {
		totals := map[string]float64{}
		for _, r := range tb.Rows {
			if keep(r) {
				totals[str(tb, r, "Customer Name")] += cell(tb, r, measure).(float64)
			}
		}
		var names []string
		for c := range totals {
			names = append(names, c)
		}
		sort.Slice(names, func(i, j int) bool {
			if top {
				return totals[names[i]] > totals[names[j]]
			}
			return totals[names[i]] < totals[names[j]]
		})
		out := names[:n]
		sort.Strings(out)
		return out
	}
	all := func([]any) bool { return true }
	customers := func(rows []map[string]any) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r["Customer Name"].(string))
		}
		return out
	}
	top := func(n int, direction, measure string) obj {
		f := obj{"field": dim("Customer Name"), "filterType": "TOP", "howMany": n, "fieldToMeasure": fn(measure, "SUM")}
		if direction != "" {
			f["direction"] = direction
		}
		return f
	}

	t.Run("top 5 by sales", func(t *testing.T) {
		q := fields(dim("Customer Name"), fn("Sales", "SUM"))
		q["filters"] = []obj{top(5, "", "Sales")}
		got, want := customers(ss(t, q, nil)), rank(all, "Sales", 5, true)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("bottom 3 by profit", func(t *testing.T) {
		q := fields(dim("Customer Name"))
		q["filters"] = []obj{top(3, "BOTTOM", "Profit")}
		got, want := customers(ss(t, q, nil)), rank(all, "Profit", 3, false)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	east := func(r []any) bool { return str(tb, r, "Region") == "East" }
	region := obj{"field": dim("Region"), "filterType": "SET", "values": []string{"East"}}
	t.Run("context filter narrows the ranking", func(t *testing.T) {
		q := fields(dim("Customer Name"))
		q["filters"] = []obj{top(10, "TOP", "Sales"), with(region, "context", true)}
		got, want := customers(ss(t, q, nil)), rank(east, "Sales", 10, true)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("other filters apply after the ranking", func(t *testing.T) {
		// Rank on all regions, then keep East lines of those customers.
		best := map[string]bool{}
		for _, c := range rank(all, "Sales", 10, true) {
			best[c] = true
		}
		var want []string
		seen := map[string]bool{}
		for _, r := range tb.Rows {
			c := str(tb, r, "Customer Name")
			if east(r) && best[c] && !seen[c] {
				seen[c] = true
				want = append(want, c)
			}
		}
		sort.Strings(want)
		q := fields(dim("Customer Name"))
		q["filters"] = []obj{top(10, "TOP", "Sales"), region}
		got := customers(ss(t, q, nil))
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

func TestFiltersCombineWithAnd(t *testing.T) {
	checkFiltered(t, []obj{
		{"field": dim("Segment"), "filterType": "SET", "values": []string{"Corporate"}},
		{"field": dim("Discount"), "filterType": "QUANTITATIVE_NUMERICAL", "quantitativeFilterType": "MIN", "min": 0.2},
		{"field": dim("Order Date"), "filterType": "DATE", "periodType": "YEARS", "dateRangeType": "LASTN", "rangeN": 2},
	}, func(tb *sampledata.Table, r []any) bool {
		return str(tb, r, "Segment") == "Corporate" && cell(tb, r, "Discount").(float64) >= 0.2 &&
			cell(tb, r, "Order Date").(time.Time).Year() >= 2025
	})
}
