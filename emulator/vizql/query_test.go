package vizqlemu

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

func TestAggregateFunctionsByRegion(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	salesBy := map[string][]float64{}
	qtyBy := map[string][]float64{}
	ordersBy := map[string]map[string]bool{}
	for _, r := range tb.Rows {
		reg := cell(tb, r, "Region").(string)
		salesBy[reg] = append(salesBy[reg], cell(tb, r, "Sales").(float64))
		qtyBy[reg] = append(qtyBy[reg], float64(cell(tb, r, "Quantity").(int64)))
		if ordersBy[reg] == nil {
			ordersBy[reg] = map[string]bool{}
		}
		ordersBy[reg][cell(tb, r, "Order ID").(string)] = true
	}

	cases := []struct {
		field   obj
		key     string
		integer bool
		want    func(region string) float64
	}{
		{fn("Sales", "SUM"), "SUM(Sales)", false, func(r string) float64 { return sumOf(salesBy[r]) }},
		{fn("Quantity", "SUM"), "SUM(Quantity)", true, func(r string) float64 { return sumOf(qtyBy[r]) }},
		{fn("Sales", "AVG"), "AVG(Sales)", false, func(r string) float64 { return sumOf(salesBy[r]) / float64(len(salesBy[r])) }},
		{fn("Sales", "MEDIAN"), "MEDIAN(Sales)", false, func(r string) float64 { return medianOf(salesBy[r]) }},
		{fn("Sales", "COUNT"), "COUNT(Sales)", true, func(r string) float64 { return float64(len(salesBy[r])) }},
		{fn("Order ID", "COUNTD"), "COUNTD(Order ID)", true, func(r string) float64 { return float64(len(ordersBy[r])) }},
		{fn("Sales", "MIN"), "MIN(Sales)", false, func(r string) float64 { return slices.Min(salesBy[r]) }},
		{fn("Quantity", "MAX"), "MAX(Quantity)", true, func(r string) float64 { return slices.Max(qtyBy[r]) }},
		{fn("Sales", "VAR"), "VAR(Sales)", false, func(r string) float64 { return sampleVariance(salesBy[r]) }},
		{fn("Sales", "STDEV"), "STDEV(Sales)", false, func(r string) float64 { return math.Sqrt(sampleVariance(salesBy[r])) }},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			rows := ss(t, fields(dim("Region"), c.field), nil)
			if len(rows) != 4 {
				t.Fatalf("%d rows, want one per region: %v", len(rows), rows)
			}
			for reg, row := range byKey(t, rows, "Region") {
				if len(row) != 2 {
					t.Errorf("row has keys %v", row)
				}
				got := num(t, row[c.key])
				if !approx(got, c.want(reg)) {
					t.Errorf("%s %s = %v, want %v", reg, c.key, got, c.want(reg))
				}
				if c.integer && !isInteger(row[c.key]) {
					t.Errorf("%s %s = %v, want an integer", reg, c.key, row[c.key])
				}
			}
		})
	}
}

func TestMinMaxOnDatesAndStrings(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	first, last := map[string]time.Time{}, map[string]time.Time{}
	minCity := map[string]string{}
	for _, r := range tb.Rows {
		seg := cell(tb, r, "Segment").(string)
		d := cell(tb, r, "Order Date").(time.Time)
		if f, ok := first[seg]; !ok || d.Before(f) {
			first[seg] = d
		}
		if l, ok := last[seg]; !ok || d.After(l) {
			last[seg] = d
		}
		if c, ok := minCity[seg]; !ok || cell(tb, r, "City").(string) < c {
			minCity[seg] = cell(tb, r, "City").(string)
		}
	}
	rows := ss(t, fields(dim("Segment"), fn("Order Date", "MIN"), fn("Order Date", "MAX"), fn("City", "MIN")), nil)
	for seg, row := range byKey(t, rows, "Segment") {
		if row["MIN(Order Date)"] != first[seg].Format("2006-01-02") || row["MAX(Order Date)"] != last[seg].Format("2006-01-02") {
			t.Errorf("%s: dates %v..%v, want %v..%v", seg, row["MIN(Order Date)"], row["MAX(Order Date)"], first[seg], last[seg])
		}
		if row["MIN(City)"] != minCity[seg] {
			t.Errorf("%s: MIN(City) = %v, want %v", seg, row["MIN(City)"], minCity[seg])
		}
	}
}

func TestMeasuresWithoutDimensionsGiveOneRow(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	var sales float64
	for _, r := range tb.Rows {
		sales += cell(tb, r, "Sales").(float64)
	}
	rows := ss(t, fields(fn("Sales", "SUM"), fn("Order ID", "COUNT")), nil)
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	if got := num(t, rows[0]["SUM(Sales)"]); !approx(got, sales) {
		t.Errorf("SUM(Sales) = %v, want %v", got, sales)
	}
	if got := num(t, rows[0]["COUNT(Order ID)"]); got != float64(len(tb.Rows)) {
		t.Errorf("COUNT(Order ID) = %v, want %d", got, len(tb.Rows))
	}
}

// weekOfYear counts Sunday-start weeks independently: week 1 holds January
// 1st and every Sunday after it opens a new week.
func weekOfYear(d time.Time) int {
	w := 1
	for x := time.Date(d.Year(), 1, 2, 0, 0, 0, 0, time.UTC); !x.After(d); x = x.AddDate(0, 0, 1) {
		if x.Weekday() == time.Sunday {
			w++
		}
	}
	return w
}

func TestDateFunctions(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	cases := []struct {
		function string
		label    func(time.Time) string
		integer  bool
	}{
		{"YEAR", func(d time.Time) string { return fmt.Sprint(d.Year()) }, true},
		{"QUARTER", func(d time.Time) string { return fmt.Sprint((int(d.Month()) + 2) / 3) }, true},
		{"MONTH", func(d time.Time) string { return fmt.Sprint(int(d.Month())) }, true},
		{"WEEK", func(d time.Time) string { return fmt.Sprint(weekOfYear(d)) }, true},
		{"DAY", func(d time.Time) string { return fmt.Sprint(d.Day()) }, true},
		{"TRUNC_YEAR", func(d time.Time) string { return fmt.Sprintf("%d-01-01", d.Year()) }, false},
		{"TRUNC_QUARTER", func(d time.Time) string {
			return fmt.Sprintf("%d-%02d-01", d.Year(), []int{1, 1, 1, 4, 4, 4, 7, 7, 7, 10, 10, 10}[d.Month()-1])
		}, false},
		{"TRUNC_MONTH", func(d time.Time) string { return fmt.Sprintf("%d-%02d-01", d.Year(), d.Month()) }, false},
		{"TRUNC_WEEK", func(d time.Time) string {
			for d.Weekday() != time.Sunday {
				d = d.AddDate(0, 0, -1)
			}
			return d.Format("2006-01-02")
		}, false},
		{"TRUNC_DAY", func(d time.Time) string { return d.Format("2006-01-02") }, false},
	}
	for _, c := range cases {
		t.Run(c.function, func(t *testing.T) {
			want := map[string]float64{}
			for _, r := range tb.Rows {
				want[c.label(cell(tb, r, "Order Date").(time.Time))] += cell(tb, r, "Sales").(float64)
			}
			key := c.function + "(Order Date)"
			rows := ss(t, fields(fn("Order Date", c.function), fn("Sales", "SUM")), nil)
			got := byKey(t, rows, key)
			if len(got) != len(want) {
				t.Fatalf("%d groups, want %d", len(got), len(want))
			}
			for label, sales := range want {
				row, ok := got[label]
				if !ok {
					t.Fatalf("no row for %s = %s; rows: %v", key, label, rows[:min(3, len(rows))])
				}
				if !approx(num(t, row["SUM(Sales)"]), sales) {
					t.Errorf("%s: %v, want %v", label, row["SUM(Sales)"], sales)
				}
				if c.integer != isInteger(row[key]) {
					t.Errorf("%s value %#v: integer=%v wanted", key, row[key], c.integer)
				}
			}
		})
	}
}

func TestDateTimeFieldsRenderWithTime(t *testing.T) {
	s := newService()
	leads := table(t, sampledata.MarketingLeads)
	want := map[string]int{}
	for _, r := range leads.Rows {
		d := cell(leads, r, "Created At").(time.Time)
		want[d.Format("2006-01")+"-01T00:00:00"]++
	}
	rows := runQuery(t, s, luidLeads, fields(fn("Created At", "TRUNC_MONTH"), fn("Lead ID", "COUNT")), nil)
	got := byKey(t, rows, "TRUNC_MONTH(Created At)")
	if len(got) != len(want) {
		t.Fatalf("%d months, want %d", len(got), len(want))
	}
	for m, n := range want {
		if got[m] == nil || num(t, got[m]["COUNT(Lead ID)"]) != float64(n) {
			t.Errorf("%s: %v, want %d", m, got[m], n)
		}
	}
	// A DATETIME dimension keeps its time of day.
	rows = runQuery(t, s, luidLeads, fields(dim("Lead ID"), dim("Created At")),
		obj{"rowLimit": 1})
	first := leads.Rows[0]
	if rows[0]["Created At"] != cell(leads, first, "Created At").(time.Time).Format("2006-01-02T15:04:05") {
		t.Errorf("Created At = %v, want %v", rows[0]["Created At"], cell(leads, first, "Created At"))
	}
}

func TestAliasAndMaxDecimalPlaces(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	sales := map[string]float64{}
	for _, r := range tb.Rows {
		sales[cell(tb, r, "Category").(string)] += cell(tb, r, "Sales").(float64)
	}
	rows := ss(t, fields(
		with(dim("Category"), "fieldAlias", "Product Category"),
		with(fn("Sales", "SUM"), "fieldAlias", "Total Sales", "maxDecimalPlaces", 0),
		with(fn("Sales", "AVG"), "maxDecimalPlaces", 1),
	), nil)
	for cat, row := range byKey(t, rows, "Product Category") {
		if _, ok := row["SUM(Sales)"]; ok {
			t.Error("an aliased field is still keyed SUM(Sales)")
		}
		if _, ok := row["Category"]; ok {
			t.Error("an aliased dimension is still keyed Category")
		}
		total := row["Total Sales"]
		if !isInteger(total) || num(t, total) != math.Round(sales[cat]) {
			t.Errorf("%s: Total Sales = %v, want %v with no decimals", cat, total, math.Round(sales[cat]))
		}
		avg := row["AVG(Sales)"].(json.Number).String()
		if i := strings.IndexByte(avg, '.'); i >= 0 && len(avg)-i-1 > 1 {
			t.Errorf("%s: AVG(Sales) = %s has more than one decimal", cat, avg)
		}
	}
}

func TestDefaultOrderIsByDimensions(t *testing.T) {
	rows := ss(t, fields(dim("Category"), dim("Sub-Category"), fn("Quantity", "SUM")), nil)
	for i := 1; i < len(rows); i++ {
		a := rows[i-1]["Category"].(string) + "\x00" + rows[i-1]["Sub-Category"].(string)
		b := rows[i]["Category"].(string) + "\x00" + rows[i]["Sub-Category"].(string)
		if a >= b {
			t.Fatalf("rows %d and %d out of order: %q then %q", i-1, i, a, b)
		}
	}
	if len(rows) != 17 {
		t.Errorf("%d category/sub-category pairs, want 17", len(rows))
	}
}

func TestMultiKeySortAndRowLimit(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	type pair struct {
		region, category string
		sales            float64
	}
	sums := map[[2]string]float64{}
	for _, r := range tb.Rows {
		sums[[2]string{cell(tb, r, "Region").(string), cell(tb, r, "Category").(string)}] += cell(tb, r, "Sales").(float64)
	}
	var want []pair
	for k, v := range sums {
		want = append(want, pair{k[0], k[1], v})
	}
	// Region descending first, then sales descending.
	sort.Slice(want, func(i, j int) bool {
		if want[i].region != want[j].region {
			return want[i].region > want[j].region
		}
		return want[i].sales > want[j].sales
	})

	q := fields(
		dim("Category"),
		with(fn("Sales", "SUM"), "sortDirection", "DESC", "sortPriority", 2),
		with(dim("Region"), "sortDirection", "DESC", "sortPriority", 1),
	)
	rows := ss(t, q, nil)
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r["Region"] != w.region || r["Category"] != w.category || !approx(num(t, r["SUM(Sales)"]), w.sales) {
			t.Fatalf("row %d = %v, want %+v", i, r, w)
		}
	}

	limited := ss(t, q, obj{"rowLimit": 5})
	if len(limited) != 5 {
		t.Fatalf("rowLimit 5 gave %d rows", len(limited))
	}
	for i := range limited {
		if limited[i]["Category"] != want[i].category || limited[i]["Region"] != want[i].region {
			t.Errorf("limited row %d = %v, want %+v", i, limited[i], want[i])
		}
	}
}

func TestSortWithoutPriorityAndAscending(t *testing.T) {
	rows := ss(t, fields(dim("Ship Mode"), with(fn("Order ID", "COUNTD"), "sortDirection", "ASC")), nil)
	for i := 1; i < len(rows); i++ {
		if num(t, rows[i-1]["COUNTD(Order ID)"]) > num(t, rows[i]["COUNTD(Order ID)"]) {
			t.Fatalf("not ascending: %v", rows)
		}
	}
}

func TestFieldOrderIsKeptInObjects(t *testing.T) {
	w := post(t, newService(), "/query-datasource", queryBody(luidSuperstore,
		fields(fn("Sales", "SUM"), dim("Segment"), fn("Profit", "SUM")), obj{"rowLimit": 1}))
	body := w.Body.String()
	a, b, c := strings.Index(body, `"SUM(Sales)"`), strings.Index(body, `"Segment"`), strings.Index(body, `"SUM(Profit)"`)
	if !(a >= 0 && a < b && b < c) {
		t.Errorf("keys not in query order: %s", body)
	}
}

func TestArraysReturnFormat(t *testing.T) {
	w := post(t, newService(), "/query-datasource", queryBody(luidSuperstore,
		fields(dim("Region"), fn("Order ID", "COUNTD")), obj{"returnFormat": "ARRAYS"}))
	var out struct {
		Data [][]any `json:"data"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != 200 {
		t.Fatalf("%d %s: %v", w.Code, w.Body.String(), err)
	}
	if len(out.Data) != 4 || out.Data[0][0] != "Central" || len(out.Data[0]) != 2 {
		t.Errorf("ARRAYS answer: %v", out.Data)
	}
}

func TestDisaggregateReturnsRows(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	// Pick an order with several lines.
	lines := map[string][][]any{}
	var orderID string
	for _, r := range tb.Rows {
		id := cell(tb, r, "Order ID").(string)
		lines[id] = append(lines[id], r)
		if len(lines[id]) == 4 && orderID == "" {
			orderID = id
		}
	}
	if orderID == "" {
		t.Fatal("no order with four lines")
	}
	q := fields(dim("Order ID"), dim("Product Name"), fn("Sales", "SUM"), fn("Quantity", "SUM"))
	q["filters"] = []obj{{"field": dim("Order ID"), "filterType": "SET", "values": []string{orderID}}}
	rows := ss(t, q, obj{"disaggregate": true})
	want := lines[orderID]
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want the %d lines", len(rows), len(want))
	}
	for i, r := range want {
		got := rows[i]
		if got["Product Name"] != cell(tb, r, "Product Name") ||
			!approx(num(t, got["SUM(Sales)"]), cell(tb, r, "Sales").(float64)) ||
			num(t, got["SUM(Quantity)"]) != float64(cell(tb, r, "Quantity").(int64)) {
			t.Errorf("line %d = %v, want %v", i, got, r)
		}
	}
	// The same query aggregated folds lines of the same product together.
	agg := ss(t, q, nil)
	if len(agg) > len(want) {
		t.Errorf("aggregated answer has more rows (%d) than lines", len(agg))
	}
}

func TestRequestsRecordsBodiesAndFailNextInjects(t *testing.T) {
	s := newService()
	b1 := queryBody(luidSuperstore, fields(dim("Region")), nil)
	s.FailNext(http.StatusTooManyRequests, "429000", "Too many requests in the allotted amount of time.")
	s.FailNext(http.StatusServiceUnavailable, "503800", "The underlying data engine is unavailable.")

	msg := errorReply(t, post(t, s, "/query-datasource", b1), http.StatusTooManyRequests, "429000")
	if msg != "Too many requests in the allotted amount of time." {
		t.Errorf("message %q", msg)
	}
	errorReply(t, post(t, s, "/read-metadata", `{"datasource":{"datasourceLuid":"`+luidSuperstore+`"}}`),
		http.StatusServiceUnavailable, "503800")
	if w := post(t, s, "/query-datasource", b1); w.Code != http.StatusOK {
		t.Errorf("third request failed too: %d", w.Code)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || string(reqs[0]) != b1 || string(reqs[2]) != b1 || !strings.Contains(string(reqs[1]), luidSuperstore) {
		t.Errorf("recorded requests: %q", reqs)
	}
	reqs[0][0] = 'X'
	if s.Requests()[0][0] == 'X' {
		t.Error("Requests hands out its own buffers")
	}
}

func TestMountPrefixDoesNotMatter(t *testing.T) {
	s := newService()
	body := queryBody(luidSuperstore, fields(dim("Segment")), nil)
	for _, path := range []string{"/api/v1/vizql-data-service/query-datasource", "/vizql-data-service/v1/query-datasource", "/query-datasource"} {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"Home Office"`) {
			t.Errorf("%s: %d %s", path, w.Code, w.Body.String())
		}
	}
}

func TestConcurrentQueries(t *testing.T) {
	s := newService()
	want := ss(t, fields(dim("State"), fn("Profit", "SUM")), nil)
	for i := 0; i < 8; i++ {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			got := runQuery(t, s, luidSuperstore, fields(dim("State"), fn("Profit", "SUM")), nil)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Error("answers differ between concurrent runs")
			}
		})
	}
}

func BenchmarkGroupedSum(b *testing.B) {
	s := newService()
	body := queryBody(luidSuperstore, fields(dim("Region"), dim("Category"), fn("Sales", "SUM"), fn("Profit", "SUM")), nil)
	table(b, sampledata.SuperstoreOrders) // generate outside the timing
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, mountPrefix+"/query-datasource", strings.NewReader(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Body.String())
		}
	}
}
