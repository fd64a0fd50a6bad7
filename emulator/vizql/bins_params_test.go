package vizqlemu

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// Bins and parameters, checked against totals computed here from the raw
// sample rows (not through the engine).

func TestBinsGroupAMeasureByItsLowerEdge(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	for _, size := range []float64{100, 2.5} {
		rows := ss(t, fields(obj{"fieldCaption": "Sales", "binSize": size}, fn("Quantity", "SUM"), fn("Order ID", "COUNT")), nil)
		qty, lines := map[string]float64{}, map[string]float64{}
		for _, r := range tb.Rows {
			edge := math.Floor(cell(tb, r, "Sales").(float64)/size) * size
			k := fmt.Sprint(edge)
			qty[k] += float64(cell(tb, r, "Quantity").(int64))
			lines[k]++
		}
		if len(rows) != len(qty) {
			t.Fatalf("bin %v: %d rows, %d bins in the raw rows", size, len(rows), len(qty))
		}
		for _, row := range rows {
			k := fmt.Sprint(num(t, row["Sales"]))
			if !approx(num(t, row["SUM(Quantity)"]), qty[k]) || num(t, row["COUNT(Order ID)"]) != lines[k] {
				t.Errorf("bin %v at %s: %v, want quantity %v over %v lines", size, k, row, qty[k], lines[k])
			}
		}
	}
	// An integer measure in whole bins stays integer; negative values bin
	// down (floor), as a bin's lower edge.
	rows := ss(t, fields(obj{"fieldCaption": "Quantity", "binSize": 3}, fn("Order ID", "COUNT")), nil)
	want := map[int64]float64{}
	for _, r := range tb.Rows {
		want[cell(tb, r, "Quantity").(int64)/3*3]++
	}
	for _, row := range rows {
		if !isInteger(row["Quantity"]) || num(t, row["COUNT(Order ID)"]) != want[int64(num(t, row["Quantity"]))] {
			t.Errorf("quantity bin row %v", row)
		}
	}
	losses := ss(t, obj{"fields": []obj{{"fieldCaption": "Profit", "binSize": 50}, fn("Order ID", "COUNT")},
		"filters": []obj{{"field": dim("Profit"), "filterType": "QUANTITATIVE_NUMERICAL", "quantitativeFilterType": "MAX", "max": -0.01}}}, nil)
	for _, row := range losses {
		if num(t, row["Profit"]) >= 0 {
			t.Errorf("a loss binned to %v, want a negative lower edge", row["Profit"])
		}
	}
}

func TestBinsTheServiceRefuses(t *testing.T) {
	s := newService()
	for _, c := range []struct {
		field obj
		code  string
	}{
		{obj{"fieldCaption": "Sales", "binSize": 0}, "400803"},
		{obj{"fieldCaption": "Sales", "binSize": -1}, "400803"},
		{obj{"fieldCaption": "Region", "binSize": 10}, "400803"},
		{obj{"fieldCaption": "Order Date", "binSize": 10}, "400803"},
		{obj{"fieldCaption": "Sales", "binSize": 10, "function": "SUM"}, "400802"},
	} {
		w := post(t, s, "/query-datasource", queryBody(luidSuperstore, fields(c.field), nil))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), c.code) {
			t.Errorf("%v: %d %s, want %s", c.field, w.Code, w.Body.String(), c.code)
		}
	}
}

func TestParametersFeedTheCalculations(t *testing.T) {
	tb := table(t, sampledata.SuperstoreOrders)
	expect := func(target float64) (met, missed, targetProfit map[string]float64) {
		met, missed, targetProfit = map[string]float64{}, map[string]float64{}, map[string]float64{}
		for _, r := range tb.Rows {
			region := cell(tb, r, "Region").(string)
			sales, profit := cell(tb, r, "Sales").(float64), cell(tb, r, "Profit").(float64)
			if profit >= sales*target {
				met[region] += sales
			} else {
				missed[region] += sales
			}
			targetProfit[region] += sales * target
		}
		return
	}
	for _, c := range []struct {
		params []obj
		target float64
	}{
		{nil, 0.15}, // the parameter's published value
		{[]obj{{"parameterCaption": "Profit Target", "value": 0.3}}, 0.3},
		{[]obj{{"parameterCaption": "Profit Target", "value": 0}}, 0},
	} {
		q := obj{"fields": []obj{dim("Region"), dim("Profit vs Target"), fn("Sales", "SUM"), fn("Target Profit", "SUM")}}
		if c.params != nil {
			q["parameters"] = c.params
		}
		met, missed, tp := expect(c.target)
		rows := ss(t, q, nil)
		for _, row := range rows {
			region, band := row["Region"].(string), row["Profit vs Target"].(string)
			want := met[region]
			if band == "Missed" {
				want = missed[region]
			}
			if !approx(num(t, row["SUM(Sales)"]), want) {
				t.Errorf("target %v, %s %s: sales %v, want %v", c.target, region, band, row["SUM(Sales)"], want)
			}
		}
		// Target Profit per region, summed over its two bands.
		got := map[string]float64{}
		for _, row := range rows {
			got[row["Region"].(string)] += num(t, row["SUM(Target Profit)"])
		}
		for region, want := range tp {
			if math.Abs(got[region]-want) > 1e-6*math.Max(1, want) {
				t.Errorf("target %v, %s: target profit %v, want %v", c.target, region, got[region], want)
			}
		}
	}
	// The calculation filters like any field.
	rows := ss(t, obj{"fields": []obj{fn("Order ID", "COUNT")}, "parameters": []obj{{"parameterCaption": "Profit Target", "value": 0.25}},
		"filters": []obj{{"field": dim("Profit vs Target"), "filterType": "SET", "values": []any{"Met"}}}}, nil)
	n := 0.0
	for _, r := range tb.Rows {
		if cell(tb, r, "Profit").(float64) >= cell(tb, r, "Sales").(float64)*0.25 {
			n++
		}
	}
	if len(rows) != 1 || num(t, rows[0]["COUNT(Order ID)"]) != n {
		t.Errorf("lines meeting 25%%: %v, want %v", rows, n)
	}
}
