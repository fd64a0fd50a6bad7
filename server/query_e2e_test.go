package server_test

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/tableau-mcp/tableau-mcp/demo"
	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
)

// The expected answers below are computed in the test from the raw sample
// rows with plain loops, never with the emulator's aggregation code.

func superstore(t *testing.T) *sampledata.Table {
	t.Helper()
	tb, ok := sampledata.Get(sampledata.SuperstoreOrders)
	if !ok {
		t.Fatal("no Superstore Orders dataset")
	}
	return tb
}

// col returns an accessor of one column of the raw rows.
func col(t *testing.T, tb *sampledata.Table, name string) func([]any) any {
	t.Helper()
	i := tb.ColumnIndex(name)
	if i < 0 {
		t.Fatalf("no column %q", name)
	}
	return func(r []any) any { return r[i] }
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a number: %#v", v))
}

func day(v any) time.Time { return v.(time.Time) }

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b)) }

// compare checks the tool's rows against the expected groups: same group
// keys, and every measure equal (numbers within rounding).
func compare(t *testing.T, what string, rows []map[string]any, groupKey func(map[string]any) string, want map[string]map[string]any) {
	t.Helper()
	if len(rows) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(rows), len(want))
	}
	for _, r := range rows {
		k := groupKey(r)
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: unexpected group %q in %v", what, k, r)
			continue
		}
		for key, wv := range w {
			gv, present := r[key]
			if !present {
				t.Errorf("%s[%s]: no key %q in %v", what, k, key, r)
				continue
			}
			switch x := wv.(type) {
			case float64:
				g, isNum := gv.(float64)
				if !isNum || !near(g, x) {
					t.Errorf("%s[%s].%s = %v, want %v", what, k, key, gv, x)
				}
			default:
				if fmt.Sprint(gv) != fmt.Sprint(x) {
					t.Errorf("%s[%s].%s = %v, want %v", what, k, key, gv, x)
				}
			}
		}
	}
}

func by(keys ...string) func(map[string]any) string {
	return func(r map[string]any) string {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprint(r[k])
		}
		return strings.Join(parts, "|")
	}
}

// queryRows runs tableau_query_view and returns its rows and the answer.
func queryRows(t *testing.T, s *Session, a args) ([]map[string]any, map[string]any) {
	t.Helper()
	ans := s.OK("tableau_query_view", a)
	rows := List(ans, "rows")
	if n, _ := ans["rowCount"].(float64); int(n) != len(rows) {
		t.Errorf("rowCount %v, %d rows", ans["rowCount"], len(rows))
	}
	return rows, ans
}

// findSuperstore discovers the data source as an agent would.
func findSuperstore(t *testing.T, s *Session) string {
	t.Helper()
	dss := List(s.OK("tableau_datasources_list", args{"filter": "name:eq:Superstore Orders"}), "datasources", "datasource")
	if len(dss) != 1 {
		t.Fatalf("%d data sources named Superstore Orders", len(dss))
	}
	return dss[0]["id"].(string)
}

func fld(caption string, fn ...string) args {
	f := args{"fieldCaption": caption}
	if len(fn) > 0 {
		f["function"] = fn[0]
	}
	return f
}

// exerciseQueries runs every function and filter type against the
// emulated site and checks the answers against the raw rows.
func exerciseQueries(t *testing.T, s *Session) {
	tb := superstore(t)
	id := findSuperstore(t, s)
	region, state, customer := col(t, tb, "Region"), col(t, tb, "State"), col(t, tb, "Customer Name")
	sales, profit, qty, disc := col(t, tb, "Sales"), col(t, tb, "Profit"), col(t, tb, "Quantity"), col(t, tb, "Discount")
	orderDate, shipDate, orderID := col(t, tb, "Order Date"), col(t, tb, "Ship Date"), col(t, tb, "Order ID")
	product, category, city, shipMode := col(t, tb, "Product Name"), col(t, tb, "Category"), col(t, tb, "City"), col(t, tb, "Ship Mode")

	// The metadata lists every column with its type and role.
	md := s.OK("tableau_datasource_metadata_get", args{"datasource_luid": id})
	mdFields := List(md, "fields")
	if len(mdFields) != len(tb.Columns)+2 {
		t.Fatalf("metadata has %d fields, the data %d columns and 2 calculations", len(mdFields), len(tb.Columns))
	}
	for i, c := range tb.Columns {
		f := mdFields[i]
		if f["caption"] != c.Name || f["dataType"] != c.DataType || f["role"] != c.Role || f["defaultAggregation"] != c.DefaultAggregation {
			t.Errorf("metadata field %v, column %+v", f, c)
		}
	}
	if len(List(md, "parameters")) == 0 {
		t.Error("the Superstore data source publishes parameters; none listed")
	}

	// Every aggregation, per region, in one query.
	type acc struct {
		sum, discSum, maxSales float64
		n, shipped             int
		profits                []float64
		customers              map[string]bool
		firstOrder             time.Time
	}
	per := map[string]*acc{}
	for _, r := range tb.Rows {
		a := per[region(r).(string)]
		if a == nil {
			a = &acc{customers: map[string]bool{}, maxSales: math.Inf(-1)}
			per[region(r).(string)] = a
		}
		a.sum += num(sales(r))
		a.discSum += num(disc(r))
		a.n++
		a.maxSales = math.Max(a.maxSales, num(sales(r)))
		a.profits = append(a.profits, num(profit(r)))
		a.customers[customer(r).(string)] = true
		if shipDate(r) != nil {
			a.shipped++
		}
		if a.firstOrder.IsZero() || day(orderDate(r)).Before(a.firstOrder) {
			a.firstOrder = day(orderDate(r))
		}
	}
	want := map[string]map[string]any{}
	for reg, a := range per {
		sort.Float64s(a.profits)
		n := len(a.profits)
		median := a.profits[n/2]
		if n%2 == 0 {
			median = (a.profits[n/2-1] + a.profits[n/2]) / 2
		}
		want[reg] = map[string]any{
			"SUM(Sales)": a.sum, "AvgDiscount": math.Round(a.discSum/float64(a.n)*1000) / 1000, "MEDIAN(Profit)": median,
			"COUNT(Ship Date)": float64(a.shipped), "COUNTD(Customer Name)": float64(len(a.customers)),
			"MIN(Order Date)": a.firstOrder.Format("2006-01-02"), "MAX(Sales)": a.maxSales,
		}
	}
	rows, _ := queryRows(t, s, args{"datasource_luid": id, "fields": []any{
		fld("Region"), fld("Sales", "SUM"), args{"fieldCaption": "Discount", "function": "AVG", "fieldAlias": "AvgDiscount", "maxDecimalPlaces": 3},
		fld("Profit", "MEDIAN"), fld("Ship Date", "COUNT"), fld("Customer Name", "COUNTD"), fld("Order Date", "MIN"), fld("Sales", "MAX"),
	}})
	compare(t, "aggregations by region", rows, by("Region"), want)
	// Keys come in field order, as the service returns them.
	if raw := Text(s.Call("tableau_query_view", args{"datasource_luid": id, "fields": []any{fld("Sales", "SUM"), fld("Region")}, "max_rows": 1})); !strings.Contains(raw, `"rows":[{"SUM(Sales)":`) {
		t.Errorf("row keys out of field order: %s", raw)
	}

	// Date parts: YEAR and QUARTER together, MONTH, DAY.
	wantYQ := map[string]map[string]any{}
	wantMonth := map[string]map[string]any{}
	wantDay := map[string]map[string]any{}
	dayOrders := map[int]map[string]bool{}
	for _, r := range tb.Rows {
		d := day(orderDate(r))
		k := fmt.Sprintf("%d|%d", d.Year(), (int(d.Month())-1)/3+1)
		if wantYQ[k] == nil {
			wantYQ[k] = map[string]any{"COUNT(Order ID)": 0.0}
		}
		wantYQ[k]["COUNT(Order ID)"] = wantYQ[k]["COUNT(Order ID)"].(float64) + 1
		mk := fmt.Sprint(int(d.Month()))
		if wantMonth[mk] == nil {
			wantMonth[mk] = map[string]any{"SUM(Quantity)": 0.0}
		}
		wantMonth[mk]["SUM(Quantity)"] = wantMonth[mk]["SUM(Quantity)"].(float64) + num(qty(r))
		if dayOrders[d.Day()] == nil {
			dayOrders[d.Day()] = map[string]bool{}
		}
		dayOrders[d.Day()][orderID(r).(string)] = true
	}
	for d, ids := range dayOrders {
		wantDay[fmt.Sprint(d)] = map[string]any{"COUNTD(Order ID)": float64(len(ids))}
	}
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Order Date", "YEAR"), fld("Order Date", "QUARTER"), fld("Order ID", "COUNT")}})
	compare(t, "YEAR and QUARTER", rows, by("YEAR(Order Date)", "QUARTER(Order Date)"), wantYQ)
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Order Date", "MONTH"), fld("Quantity", "SUM")}})
	compare(t, "MONTH", rows, by("MONTH(Order Date)"), wantMonth)
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Order Date", "DAY"), fld("Order ID", "COUNTD")}})
	compare(t, "DAY", rows, by("DAY(Order Date)"), wantDay)

	// Truncations, within 2025 (QUANTITATIVE_DATE RANGE).
	in2025 := func(r []any) bool { return day(orderDate(r)).Year() == 2025 }
	truncs := map[string]func(time.Time) time.Time{
		"TRUNC_YEAR": func(d time.Time) time.Time { return time.Date(d.Year(), 1, 1, 0, 0, 0, 0, time.UTC) },
		"TRUNC_QUARTER": func(d time.Time) time.Time {
			return time.Date(d.Year(), time.Month((int(d.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
		},
		"TRUNC_MONTH": func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC) },
		"TRUNC_WEEK":  func(d time.Time) time.Time { return d.AddDate(0, 0, -int(d.Weekday())) }, // weeks start on Sunday
		"TRUNC_DAY":   func(d time.Time) time.Time { return d },
	}
	yearFilter := args{"field": fld("Order Date"), "filterType": "QUANTITATIVE_DATE", "quantitativeFilterType": "RANGE", "minDate": "2025-01-01", "maxDate": "2025-12-31"}
	for fn, trunc := range truncs {
		w := map[string]map[string]any{}
		for _, r := range tb.Rows {
			if !in2025(r) {
				continue
			}
			k := trunc(day(orderDate(r))).Format("2006-01-02")
			if w[k] == nil {
				w[k] = map[string]any{"SUM(Sales)": 0.0}
			}
			w[k]["SUM(Sales)"] = w[k]["SUM(Sales)"].(float64) + num(sales(r))
		}
		rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Order Date", fn), fld("Sales", "SUM")}, "filters": []any{yearFilter}, "max_rows": 400})
		compare(t, fn, rows, by(fn+"(Order Date)"), w)
	}

	// sumBy groups SUM(Sales) by a dimension over the rows keep passes.
	sumBy := func(dim func([]any) any, keep func([]any) bool) map[string]map[string]any {
		w := map[string]map[string]any{}
		for _, r := range tb.Rows {
			if !keep(r) {
				continue
			}
			k := fmt.Sprint(dim(r))
			if w[k] == nil {
				w[k] = map[string]any{"SUM(Sales)": 0.0}
			}
			w[k]["SUM(Sales)"] = w[k]["SUM(Sales)"].(float64) + num(sales(r))
		}
		return w
	}
	regionSales := []any{fld("Region"), fld("Sales", "SUM")}

	// SET, and SET with exclude (given as the seed's JSON strings).
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": regionSales,
		"filters": []any{args{"field": fld("Region"), "filterType": "SET", "values": []any{"East", "West"}}}})
	compare(t, "SET", rows, by("Region"), sumBy(region, func(r []any) bool { return region(r) == "East" || region(r) == "West" }))
	rows, _ = queryRows(t, s, args{"datasource_luid": id,
		"fields":  `[{"fieldCaption":"Region"},{"fieldCaption":"Sales","function":"SUM"}]`,
		"filters": `[{"field":{"fieldCaption":"Region"},"filterType":"SET","values":["East","West"],"exclude":true}]`})
	compare(t, "SET exclude", rows, by("Region"), sumBy(region, func(r []any) bool { return region(r) != "East" && region(r) != "West" }))

	// MATCH: contains, and startsWith.
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Product Name"), fld("Sales", "SUM")},
		"filters": []any{args{"field": fld("Product Name"), "filterType": "MATCH", "contains": "Chair"}}})
	compare(t, "MATCH contains", rows, by("Product Name"), sumBy(product, func(r []any) bool { return strings.Contains(product(r).(string), "Chair") }))
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("City"), fld("Sales", "SUM")},
		"filters": []any{args{"field": fld("City"), "filterType": "MATCH", "startsWith": "San "}}})
	compare(t, "MATCH startsWith", rows, by("City"), sumBy(city, func(r []any) bool { return strings.HasPrefix(city(r).(string), "San ") }))

	// QUANTITATIVE_NUMERICAL on rows, and on an aggregate.
	countBy := func(dim func([]any) any, keep func([]any) bool) map[string]map[string]any {
		w := map[string]map[string]any{}
		for _, r := range tb.Rows {
			if keep(r) {
				k := fmt.Sprint(dim(r))
				if w[k] == nil {
					w[k] = map[string]any{"COUNT(Order ID)": 0.0}
				}
				w[k]["COUNT(Order ID)"] = w[k]["COUNT(Order ID)"].(float64) + 1
			}
		}
		return w
	}
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Region"), fld("Order ID", "COUNT")},
		"filters": []any{args{"field": fld("Sales"), "filterType": "QUANTITATIVE_NUMERICAL", "quantitativeFilterType": "RANGE", "min": 100, "max": 200}}})
	compare(t, "QUANTITATIVE_NUMERICAL RANGE", rows, by("Region"), countBy(region, func(r []any) bool { return num(sales(r)) >= 100 && num(sales(r)) <= 200 }))
	bigStates := sumBy(state, func([]any) bool { return true })
	for k, v := range bigStates {
		if v["SUM(Sales)"].(float64) < 100000 {
			delete(bigStates, k)
		}
	}
	if len(bigStates) == 0 || len(bigStates) == 20 {
		t.Fatalf("the threshold selects %d states; pick another", len(bigStates))
	}
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("State"), fld("Sales", "SUM")},
		"filters": []any{args{"field": fld("Sales", "SUM"), "filterType": "QUANTITATIVE_NUMERICAL", "quantitativeFilterType": "MIN", "min": 100000}}})
	compare(t, "QUANTITATIVE_NUMERICAL on SUM", rows, by("State"), bigStates)

	// QUANTITATIVE_DATE: a range, and ONLY_NULL.
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Category"), fld("Sales", "SUM")},
		"filters": []any{args{"field": fld("Order Date"), "filterType": "QUANTITATIVE_DATE", "quantitativeFilterType": "RANGE", "minDate": "2024-03-01", "maxDate": "2024-05-31"}}})
	from, to := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	compare(t, "QUANTITATIVE_DATE RANGE", rows, by("Category"), sumBy(category, func(r []any) bool {
		d := day(orderDate(r))
		return !d.Before(from) && d.Before(to)
	}))
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Ship Mode"), fld("Order ID", "COUNT")},
		"filters": []any{args{"field": fld("Ship Date"), "filterType": "QUANTITATIVE_DATE", "quantitativeFilterType": "ONLY_NULL"}}})
	unshipped := countBy(shipMode, func(r []any) bool { return shipDate(r) == nil })
	if len(unshipped) == 0 {
		t.Fatal("the sample has no unshipped orders")
	}
	compare(t, "QUANTITATIVE_DATE ONLY_NULL", rows, by("Ship Mode"), unshipped)

	// DATE, relative to an anchor: last quarter, the last 3 months (the
	// current one included), year to date.
	anchor := "2025-08-15"
	between := func(a, b time.Time) func([]any) bool {
		return func(r []any) bool { d := day(orderDate(r)); return !d.Before(a) && d.Before(b) }
	}
	d := func(y int, m time.Month, dd int) time.Time { return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		period, rangeType string
		n                 int
		keep              func([]any) bool
	}{
		{"QUARTERS", "LAST", 0, between(d(2025, 4, 1), d(2025, 7, 1))},
		{"MONTHS", "LASTN", 3, between(d(2025, 6, 1), d(2025, 9, 1))},
		{"YEARS", "TODATE", 0, between(d(2025, 1, 1), d(2025, 8, 16))},
		{"MONTHS", "CURRENT", 0, between(d(2025, 8, 1), d(2025, 9, 1))},
	} {
		f := args{"field": fld("Order Date"), "filterType": "DATE", "periodType": c.period, "dateRangeType": c.rangeType, "anchorDate": anchor}
		if c.n > 0 {
			f["rangeN"] = c.n
		}
		rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": regionSales, "filters": []any{f}})
		compare(t, "DATE "+c.period+" "+c.rangeType, rows, by("Region"), sumBy(region, c.keep))
	}

	// TOP: the five best customers by sales, and the three worst states by
	// profit; sorted, so the order is checked too.
	custSales := sumBy(customer, func([]any) bool { return true })
	names := make([]string, 0, len(custSales))
	for k := range custSales {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		return custSales[names[i]]["SUM(Sales)"].(float64) > custSales[names[j]]["SUM(Sales)"].(float64)
	})
	rows, ans := queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Customer Name"), fld("Sales", "SUM")},
		"filters": []any{args{"field": fld("Customer Name"), "filterType": "TOP", "howMany": 5, "fieldToMeasure": fld("Sales", "SUM")}},
		"sort":    []any{args{"fieldCaption": "Sales", "sortDirection": "DESC"}}})
	if ans["truncated"] != false || len(rows) != 5 {
		t.Fatalf("TOP 5: %v", ans)
	}
	for i, r := range rows {
		if r["Customer Name"] != names[i] || !near(r["SUM(Sales)"].(float64), custSales[names[i]]["SUM(Sales)"].(float64)) {
			t.Errorf("TOP 5 row %d: %v, want %s %v", i, r, names[i], custSales[names[i]])
		}
	}
	stateProfit := map[string]float64{}
	for _, r := range tb.Rows {
		stateProfit[state(r).(string)] += num(profit(r))
	}
	states := make([]string, 0, len(stateProfit))
	for k := range stateProfit {
		states = append(states, k)
	}
	sort.Slice(states, func(i, j int) bool { return stateProfit[states[i]] < stateProfit[states[j]] })
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("State"), fld("Profit", "SUM")},
		"filters": []any{args{"field": fld("State"), "filterType": "TOP", "howMany": 3, "direction": "BOTTOM", "fieldToMeasure": fld("Profit", "SUM")}},
		"sort":    []any{args{"fieldCaption": "SUM(Profit)"}}})
	if len(rows) != 3 {
		t.Fatalf("BOTTOM 3: %v", rows)
	}
	for i, r := range rows {
		if r["State"] != states[i] || !near(r["SUM(Profit)"].(float64), stateProfit[states[i]]) {
			t.Errorf("BOTTOM 3 row %d: %v, want %s %v", i, r, states[i], stateProfit[states[i]])
		}
	}

	// Sort, row limit and the note: the five most profitable states.
	sort.Slice(states, func(i, j int) bool { return stateProfit[states[i]] > stateProfit[states[j]] })
	rows, ans = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("State"), fld("Profit", "SUM")},
		"sort": `[{"fieldCaption":"Profit","sortDirection":"DESC"}]`, "max_rows": 5})
	if ans["truncated"] != true || !strings.Contains(Str(ans, "note"), "max_rows=5") || len(rows) != 5 {
		t.Errorf("limited answer: %v", ans)
	}
	for i, r := range rows {
		if r["State"] != states[i] {
			t.Errorf("row %d is %v, want %s", i, r["State"], states[i])
		}
	}
	_, ans = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("State")}, "max_rows": len(states)})
	if ans["truncated"] != false {
		t.Errorf("exactly max_rows rows must not be reported as cut: %v", ans)
	}

	// A parameter feeds the data source's calculations: Profit vs Target
	// compares each line's profit with Profit Target times its sales.
	for _, target := range []float64{0.3, 0.05} {
		w := map[string]map[string]any{}
		for _, r := range tb.Rows {
			band := "Missed"
			if num(profit(r)) >= num(sales(r))*target {
				band = "Met"
			}
			k := region(r).(string) + "|" + band
			if w[k] == nil {
				w[k] = map[string]any{"SUM(Sales)": 0.0, "Lines": 0.0}
			}
			w[k]["SUM(Sales)"] = w[k]["SUM(Sales)"].(float64) + num(sales(r))
			w[k]["Lines"] = w[k]["Lines"].(float64) + 1
		}
		rows, _ = queryRows(t, s, args{"datasource_luid": id,
			"fields":     []any{fld("Region"), fld("Profit vs Target"), fld("Sales", "SUM"), args{"fieldCaption": "Order ID", "function": "COUNT", "fieldAlias": "Lines"}},
			"parameters": fmt.Sprintf(`[{"parameterCaption":"Profit Target","value":%v}]`, target)})
		compare(t, fmt.Sprintf("Profit vs Target at %v", target), rows, by("Region", "Profit vs Target"), w)
	}

	// A bin groups a measure by its bins' lower edges.
	wantBins := map[string]map[string]any{}
	for _, r := range tb.Rows {
		k := fmt.Sprint(math.Floor(num(sales(r))/250) * 250)
		if wantBins[k] == nil {
			wantBins[k] = map[string]any{"COUNT(Order ID)": 0.0, "SUM(Quantity)": 0.0}
		}
		wantBins[k]["COUNT(Order ID)"] = wantBins[k]["COUNT(Order ID)"].(float64) + 1
		wantBins[k]["SUM(Quantity)"] = wantBins[k]["SUM(Quantity)"].(float64) + num(qty(r))
	}
	rows, _ = queryRows(t, s, args{"datasource_luid": id, "fields": []any{args{"fieldCaption": "Sales", "binSize": 250}, fld("Order ID", "COUNT"), fld("Quantity", "SUM")}})
	compare(t, "Sales in bins of 250", rows, by("Sales"), wantBins)

	// A measure without its function, and a SET value in the wrong case,
	// are answered with a note that names the mistake.
	_, ans = queryRows(t, s, args{"datasource_luid": id, "fields": []any{fld("Region"), fld("Sales")}})
	if !strings.Contains(Str(ans, "note"), `'Sales' is a measure queried without a function`) || len(List(ans, "rows")) != 20 {
		t.Errorf("bare measure: %v", ans)
	}
	_, ans = queryRows(t, s, args{"datasource_luid": id, "fields": regionSales,
		"filters": []any{args{"field": fld("Region"), "filterType": "SET", "values": []any{"East", "west"}}}})
	if !strings.Contains(Str(ans, "note"), `filters[0].values[1] "west" matches no member of 'Region'; closest: "West".`) {
		t.Errorf("wrong-case SET value: %v", ans)
	}

	// Mistakes are caught before the query is sent.
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": regionSales, "parameters": []any{args{"parameterCaption": "Profit Target", "value": 2}}},
		"parameters[0].value 2 is outside the range of 'Profit Target': 0 to 0.5")
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": regionSales, "parameters": []any{args{"parameterCaption": "Top Customer", "value": 10}}},
		"parameters[0]: no parameter 'Top Customer'; did you mean 'Top Customers'?")
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": []any{fld("Region"), args{"fieldCaption": "Region", "binSize": 5, "fieldAlias": "R"}}},
		"fields[1].binSize: bins group a numeric measure")
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": regionSales,
		"filters": []any{args{"field": fld("Ship Date"), "filterType": "QUANTITATIVE_DATE", "quantitativeFilterType": "ONLY_NULL", "includeNulls": true}}},
		"filters[0].includeNulls applies only to RANGE, MIN and MAX filters")
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": []any{fld("Region"), fld("sales", "SUM")}},
		"fields[1]: no field 'sales'; did you mean 'Sales'?", "tableau_datasource_metadata_get")
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": []any{fld("Region", "SUM")}},
		"function SUM cannot apply to 'Region' (STRING); use COUNT or COUNTD, or drop the function to group by it")
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": regionSales,
		"filters": []any{args{"field": fld("Sales"), "filterType": "QUANTITATIVE_NUMERICAL", "quantitativeFilterType": "RANGE", "min": 1}}},
		"filters[0] (QUANTITATIVE_NUMERICAL, RANGE) needs min and max")
}

// demoSessionWith serves the demo backend with server options changed.
func demoSessionWith(t *testing.T, tune func(*server.Options)) (*Session, *tableauemu.Emulator) {
	t.Helper()
	b, emu, err := demo.New(nil, func(c *tableau.Config) { c.Retry.Backoff = time.Millisecond })
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{Version: "test", Backend: b}
	tune(&opts)
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, c), emu
}

func vdsRequests(emu *tableauemu.Emulator, endpoint string) int {
	n := 0
	for _, r := range emu.Requests() {
		if strings.HasSuffix(r.Path, "/vizql-data-service/"+endpoint) {
			n++
		}
	}
	return n
}

func TestQueryingDataDirectly(t *testing.T) {
	s, emu := demoSession(t)
	exerciseQueries(t, s)
	// The metadata was read once for all those queries (the cache), and
	// the refused queries never reached the service.
	if n := vdsRequests(emu, "read-metadata"); n != 1 {
		t.Errorf("%d metadata reads, want 1 (the tool's own call fills the cache)", n)
	}
	before := vdsRequests(emu, "query-datasource")
	id := findSuperstore(t, s)
	s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": []any{fld("Regoin")}}, "did you mean 'Region'?")
	if vdsRequests(emu, "query-datasource") != before {
		t.Error("a query naming an unknown field reached the service")
	}
}

func TestQueryingDataThroughScalekit(t *testing.T) {
	f := scalekitFixture(t)
	exerciseQueries(t, f.session(demo.DemoIdentifier))

	// The query went to the connector's tableau_query_view with its
	// string parameters; the metadata over the proxy.
	var executes, proxied, withParams int
	for _, r := range f.sk.Requests() {
		switch {
		case r.Path == "/api/v1/execute_tool" && strings.Contains(string(r.Body), `"tableau_query_view"`):
			executes++
			var body struct {
				Params map[string]any `json:"params"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
			if _, ok := body.Params["fields"].(string); !ok {
				t.Errorf("params.fields is not a string: %s", r.Body)
			}
			if _, ok := body.Params["max_rows"].(float64); !ok {
				t.Errorf("params.max_rows is not a number: %s", r.Body)
			}
		case r.Path == "/proxy/api/v1/vizql-data-service/read-metadata":
			proxied++
		case r.Path == "/proxy/api/v1/vizql-data-service/query-datasource":
			// Only a query setting parameters: the connector's tool takes none.
			withParams++
			if !strings.Contains(string(r.Body), `"parameters":[{"parameterCaption":"Profit Target"`) {
				t.Errorf("a query without parameters went over the proxy: %s", r.Body)
			}
		case strings.Contains(r.Path, "vizql") || strings.Contains(string(r.Body), "tableau_datasource_metadata_get"):
			t.Errorf("unexpected %s %s %s", r.Method, r.Path, r.Body)
		}
	}
	if executes < 10 || proxied != 1 || withParams != 2 {
		t.Errorf("%d queries through execute_tool, %d metadata reads and %d queries with parameters over the proxy", executes, proxied, withParams)
	}
}

func TestQueryErrorsSayWhatToDo(t *testing.T) {
	check := func(t *testing.T, s *Session, tab *tableauemu.Emulator) {
		id := findSuperstore(t, s)
		q := args{"datasource_luid": id, "fields": []any{fld("Region")}}
		for _, c := range []struct {
			status     int
			code, want string
		}{
			{403, "403800", "API Access capability"},
			{403, "403157", "Tableau Server 2023.1"},
			{429, "429000", "rate limiting"}, // on each of its three attempts
			{400, "400804", "lower max_rows"},
		} {
			for i := 0; i < 3 && (c.status == 429 || i == 0); i++ {
				tab.FailNext("POST", "/query-datasource", c.status, c.code)
			}
			s.Fail("tableau_query_view", q, c.code, c.want)
		}
		tab.FailNext("POST", "/read-metadata", 403, "403800")
		s.Fail("tableau_datasource_metadata_get", args{"datasource_luid": id}, "403800", "API Access capability")
		s.Fail("tableau_datasource_metadata_get", args{"datasource_luid": unknownID}, "tableau_datasources_list")
	}
	t.Run("direct", func(t *testing.T) {
		s, emu := demoSession(t)
		check(t, s, emu)
	})
	t.Run("scalekit", func(t *testing.T) {
		f := scalekitFixture(t)
		check(t, f.session(demo.DemoIdentifier), f.tab)
	})
	t.Run("service's own unknown-field answer, check off", func(t *testing.T) {
		s, emu := demoSessionWith(t, func(o *server.Options) { o.SkipQueryCheck = true })
		id := findSuperstore(t, s)
		s.Fail("tableau_query_view", args{"datasource_luid": id, "fields": []any{fld("Regoin")}}, "404934", "Unknown Field: Regoin", "case-sensitive", "tableau_datasource_metadata_get")
		if vdsRequests(emu, "read-metadata") != 0 {
			t.Error("with the check off the metadata was read")
		}
	})
}
