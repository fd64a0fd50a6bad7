package sampledata

import (
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"testing"
	"time"
)

func mustGet(t testing.TB, name string) *Table {
	t.Helper()
	tb, ok := Get(name)
	if !ok || tb == nil {
		t.Fatalf("Get(%q) not found", name)
	}
	return tb
}

func TestNames(t *testing.T) {
	want := []string{"Superstore Orders", "Marketing Leads", "Finance GL", "HR Headcount"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range want {
		tb := mustGet(t, n)
		if tb.Name != n {
			t.Errorf("table %q carries name %q", n, tb.Name)
		}
	}
	if _, ok := Get("No Such Data"); ok {
		t.Error("Get of an unknown name reported ok")
	}
}

func TestGetReturnsTheSameTable(t *testing.T) {
	a := mustGet(t, SuperstoreOrders)
	b := mustGet(t, SuperstoreOrders)
	if a != b {
		t.Error("Get generated the dataset twice")
	}
}

func TestGenerationIsDeterministic(t *testing.T) {
	for _, build := range []func() *Table{buildSuperstore, buildMarketingLeads, buildFinanceGL, buildHRHeadcount} {
		a, b := build(), build()
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: two generations differ", a.Name)
		}
	}
}

// TestValuesMatchDeclaredTypes checks every cell against its column type, so
// consumers can switch on DataType safely.
func TestValuesMatchDeclaredTypes(t *testing.T) {
	for _, name := range Names() {
		tb := mustGet(t, name)
		if len(tb.Rows) < 200 {
			t.Errorf("%s: only %d rows", name, len(tb.Rows))
		}
		seen := map[string]bool{}
		for _, c := range tb.Columns {
			if seen[c.Name] {
				t.Errorf("%s: column %q appears twice", name, c.Name)
			}
			seen[c.Name] = true
			if c.Role != RoleDimension && c.Role != RoleMeasure {
				t.Errorf("%s.%s: role %q", name, c.Name, c.Role)
			}
			if c.DefaultAggregation == "" || c.Description == "" {
				t.Errorf("%s.%s: missing default aggregation or description", name, c.Name)
			}
			if c.Role == RoleMeasure && c.DataType != TypeInteger && c.DataType != TypeReal {
				t.Errorf("%s.%s: measure of type %s", name, c.Name, c.DataType)
			}
		}
		for ri, row := range tb.Rows {
			if len(row) != len(tb.Columns) {
				t.Fatalf("%s row %d: %d values for %d columns", name, ri, len(row), len(tb.Columns))
			}
			for ci, v := range row {
				if v == nil {
					continue
				}
				col := tb.Columns[ci]
				ok := false
				switch col.DataType {
				case TypeString:
					_, ok = v.(string)
				case TypeInteger:
					_, ok = v.(int64)
				case TypeReal:
					_, ok = v.(float64)
				case TypeBoolean:
					_, ok = v.(bool)
				case TypeDate, TypeDateTime:
					var tm time.Time
					tm, ok = v.(time.Time)
					if ok && (tm.Location() != time.UTC || tm.After(Today().AddDate(0, 0, 1))) {
						t.Errorf("%s row %d %s: %v not UTC or after Today()", name, ri, col.Name, tm)
					}
					if ok && col.DataType == TypeDate && !tm.Equal(tm.Truncate(24*time.Hour)) {
						t.Errorf("%s row %d %s: DATE with a time of day: %v", name, ri, col.Name, tm)
					}
				}
				if !ok {
					t.Fatalf("%s row %d %s: %T for %s", name, ri, col.Name, v, col.DataType)
				}
			}
		}
	}
}

func TestSuperstoreShape(t *testing.T) {
	tb := mustGet(t, SuperstoreOrders)
	wantCols := []string{"Order ID", "Order Date", "Ship Date", "Ship Mode", "Customer Name", "Segment",
		"Region", "State", "City", "Category", "Sub-Category", "Product Name", "Sales", "Quantity", "Discount", "Profit"}
	var gotCols []string
	for _, c := range tb.Columns {
		gotCols = append(gotCols, c.Name)
	}
	if !slices.Equal(gotCols, wantCols) {
		t.Fatalf("columns = %v", gotCols)
	}
	if n := len(tb.Rows); n < 3000 || n > 5000 {
		t.Fatalf("%d rows, want 3000..5000", n)
	}

	col := func(n string) int { return tb.ColumnIndex(n) }
	allowed := map[string][]string{
		"Ship Mode": {"Standard Class", "Second Class", "First Class", "Same Day"},
		"Segment":   {"Consumer", "Corporate", "Home Office"},
		"Region":    {"Central", "East", "South", "West"},
		"Category":  {"Furniture", "Office Supplies", "Technology"},
	}
	subCats := map[string][]string{
		"Furniture":       {"Bookcases", "Chairs", "Furnishings", "Tables"},
		"Office Supplies": {"Appliances", "Art", "Binders", "Envelopes", "Fasteners", "Labels", "Paper", "Storage", "Supplies"},
		"Technology":      {"Accessories", "Copiers", "Machines", "Phones"},
	}
	idPattern := regexp.MustCompile(`^(CA|US)-(\d{4})-\d{6}$`)
	first, last := date(2023, 1, 1), date(2026, 10, 31)
	seenValues := map[string]map[string]bool{}
	stateRegion := map[string]string{}
	orderHead := map[string][]any{}
	years := map[int]bool{}
	nullShip := 0
	for i, r := range tb.Rows {
		for c, vals := range allowed {
			v := r[col(c)].(string)
			if !slices.Contains(vals, v) {
				t.Fatalf("row %d: %s = %q", i, c, v)
			}
			if seenValues[c] == nil {
				seenValues[c] = map[string]bool{}
			}
			seenValues[c][v] = true
		}
		if !slices.Contains(subCats[r[col("Category")].(string)], r[col("Sub-Category")].(string)) {
			t.Fatalf("row %d: sub-category %v not in %v", i, r[col("Sub-Category")], r[col("Category")])
		}
		od := r[col("Order Date")].(time.Time)
		if od.Before(first) || od.After(last) {
			t.Fatalf("row %d: order date %v out of range", i, od)
		}
		years[od.Year()] = true
		m := idPattern.FindStringSubmatch(r[col("Order ID")].(string))
		if m == nil || m[2] != od.Format("2006") {
			t.Fatalf("row %d: order id %q does not match its year %d", i, r[col("Order ID")], od.Year())
		}
		if sd, ok := r[col("Ship Date")].(time.Time); ok {
			if sd.Before(od) || sd.After(Today()) || sd.Sub(od) > 7*24*time.Hour {
				t.Fatalf("row %d: ship date %v for order date %v", i, sd, od)
			}
		} else {
			nullShip++
			if Today().Sub(od) > 7*24*time.Hour {
				t.Fatalf("row %d: unshipped order from %v", i, od)
			}
		}
		sales := r[col("Sales")].(float64)
		if sales <= 0 || math.Abs(sales*100-math.Round(sales*100)) > 1e-6 {
			t.Fatalf("row %d: sales %v", i, sales)
		}
		if p := r[col("Profit")].(float64); math.Abs(p*100-math.Round(p*100)) > 1e-6 || math.Abs(p) > sales {
			t.Fatalf("row %d: profit %v for sales %v", i, p, sales)
		}
		if q := r[col("Quantity")].(int64); q < 1 || q > 20 {
			t.Fatalf("row %d: quantity %d", i, q)
		}
		if d := r[col("Discount")].(float64); d < 0 || d >= 1 {
			t.Fatalf("row %d: discount %v", i, d)
		}
		st, rg := r[col("State")].(string), r[col("Region")].(string)
		if prev, ok := stateRegion[st]; ok && prev != rg {
			t.Fatalf("state %s in regions %s and %s", st, prev, rg)
		}
		stateRegion[st] = rg
		id := r[col("Order ID")].(string)
		head := []any{r[col("Order Date")], r[col("Customer Name")], r[col("Ship Mode")], r[col("City")]}
		if prev, ok := orderHead[id]; ok && !reflect.DeepEqual(prev, head) {
			t.Fatalf("order %s lines disagree: %v vs %v", id, prev, head)
		}
		orderHead[id] = head
	}
	for c, vals := range allowed {
		if len(seenValues[c]) != len(vals) {
			t.Errorf("%s: only %v occur", c, seenValues[c])
		}
	}
	for y := 2023; y <= 2026; y++ {
		if !years[y] {
			t.Errorf("no orders in %d", y)
		}
	}
	if nullShip == 0 {
		t.Error("no unshipped (null Ship Date) lines; null filters need some")
	}
	if len(orderHead) < 1000 {
		t.Errorf("only %d distinct orders", len(orderHead))
	}
	// Rows come in order date order.
	if !sort.SliceIsSorted(tb.Rows, func(i, j int) bool {
		return tb.Rows[i][col("Order Date")].(time.Time).Before(tb.Rows[j][col("Order Date")].(time.Time))
	}) {
		t.Error("rows are not in order date order")
	}
}

func TestSmallDatasetsHaveNullsAndBooleans(t *testing.T) {
	cases := []struct{ table, nullable, boolean string }{
		{MarketingLeads, "Pipeline Value", "Converted"},
		{HRHeadcount, "Termination Date", "Active"},
		{FinanceGL, "", "Approved"},
	}
	for _, c := range cases {
		tb := mustGet(t, c.table)
		if len(tb.Rows) > 1000 {
			t.Errorf("%s: %d rows, want a few hundred", c.table, len(tb.Rows))
		}
		if c.nullable != "" {
			i := tb.ColumnIndex(c.nullable)
			nulls := 0
			for _, r := range tb.Rows {
				if r[i] == nil {
					nulls++
				}
			}
			if nulls == 0 || nulls == len(tb.Rows) {
				t.Errorf("%s.%s: %d nulls of %d", c.table, c.nullable, nulls, len(tb.Rows))
			}
		}
		i := tb.ColumnIndex(c.boolean)
		counts := map[bool]int{}
		for _, r := range tb.Rows {
			counts[r[i].(bool)]++
		}
		if counts[true] == 0 || counts[false] == 0 {
			t.Errorf("%s.%s: %v", c.table, c.boolean, counts)
		}
	}
	// HR: Active is exactly "no termination date".
	hr := mustGet(t, HRHeadcount)
	for _, r := range hr.Rows {
		if (r[hr.ColumnIndex("Termination Date")] == nil) != r[hr.ColumnIndex("Active")].(bool) {
			t.Fatalf("row %v: Active disagrees with Termination Date", r)
		}
	}
}

func TestGroupSumByString(t *testing.T) {
	tb := mustGet(t, SuperstoreOrders)
	labels, values, err := tb.GroupSum("Region", "Sales")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, r := range tb.Rows {
		want[r[6].(string)] += r[12].(float64)
	}
	if len(labels) != 4 || len(values) != 4 {
		t.Fatalf("labels %v values %v", labels, values)
	}
	for i, l := range labels {
		if math.Abs(values[i]-want[l]) > 1e-6 {
			t.Errorf("%s: %v, want %v", l, values[i], want[l])
		}
		if i > 0 && values[i] > values[i-1] {
			t.Errorf("not sorted by value desc: %v", values)
		}
	}
}

func TestGroupSumByDateIsMonthly(t *testing.T) {
	tb := mustGet(t, SuperstoreOrders)
	labels, values, err := tb.GroupSum("Order Date", "Quantity")
	if err != nil {
		t.Fatal(err)
	}
	// 2023-01 .. 2026-10 is 46 months, all with orders.
	if len(labels) != 46 {
		t.Errorf("%d months: %v", len(labels), labels)
	}
	var mar2025 float64
	for _, r := range tb.Rows {
		d := r[1].(time.Time)
		if d.Year() == 2025 && d.Month() == time.March {
			mar2025 += float64(r[13].(int64))
		}
	}
	i := slices.Index(labels, "2025-03")
	if i < 0 || values[i] != mar2025 {
		t.Fatalf("2025-03 = index %d, want sum %v (labels %v)", i, mar2025, labels)
	}
	for i := 1; i < len(values); i++ {
		if values[i] > values[i-1] {
			t.Fatalf("not sorted desc at %d: %v", i, values)
		}
	}
}

func TestGroupSumNullLabelAndErrors(t *testing.T) {
	hr := mustGet(t, HRHeadcount)
	labels, values, err := hr.GroupSum("Termination Date", "FTE")
	if err != nil {
		t.Fatal(err)
	}
	var active float64
	for _, r := range hr.Rows {
		if r[5] == nil {
			active += r[7].(float64)
		}
	}
	i := slices.Index(labels, "Null")
	if i < 0 || math.Abs(values[i]-active) > 1e-9 {
		t.Fatalf("Null group = %d (%v), want %v", i, values, active)
	}

	tb := mustGet(t, SuperstoreOrders)
	if _, _, err := tb.GroupSum("Nope", "Sales"); err == nil {
		t.Error("unknown dimension accepted")
	}
	if _, _, err := tb.GroupSum("Region", "Nope"); err == nil {
		t.Error("unknown measure accepted")
	}
	if _, _, err := tb.GroupSum("Region", "City"); err == nil {
		t.Error("string measure accepted")
	}
}

// TestSuperstoreFingerprint pins the generated data: other packages' tests and
// demos quote numbers from it, so a change here must be deliberate.
func TestSuperstoreFingerprint(t *testing.T) {
	tb := mustGet(t, SuperstoreOrders)
	var sales, profit float64
	var qty int64
	for _, r := range tb.Rows {
		sales += r[12].(float64)
		qty += r[13].(int64)
		profit += r[15].(float64)
	}
	got := []any{len(tb.Rows), math.Round(sales*100) / 100, qty, math.Round(profit*100) / 100}
	want := []any{superstoreRows, superstoreSales, superstoreQty, superstoreProfit}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fingerprint (rows, sales, quantity, profit) = %v, want %v", got, want)
	}
}

// Fingerprint of the generated Superstore Orders data.
const (
	superstoreRows         = 3914
	superstoreSales        = 2829269.38
	superstoreQty    int64 = 13954
	superstoreProfit       = 243112.51
)
