// Package sampledata holds deterministic, generated sample datasets that the
// Tableau emulator serves as the contents of its published data sources.
//
// Every dataset is produced by a fixed-seed PCG generator the first time it is
// asked for (Get), so importing the package costs nothing and every run of
// every test sees exactly the same rows.
//
// Tables are shared between callers and must be treated as read-only.
package sampledata

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Data types used in Column.DataType; they are the VizQL Data Service names.
const (
	TypeInteger  = "INTEGER"
	TypeReal     = "REAL"
	TypeString   = "STRING"
	TypeDate     = "DATE"
	TypeDateTime = "DATETIME"
	TypeBoolean  = "BOOLEAN"
)

// Column roles.
const (
	RoleDimension = "DIMENSION"
	RoleMeasure   = "MEASURE"
)

// Dataset names.
const (
	SuperstoreOrders = "Superstore Orders"
	MarketingLeads   = "Marketing Leads"
	FinanceGL        = "Finance GL"
	HRHeadcount      = "HR Headcount"
)

// Today is the fixed "current date" of all datasets: no date lies after it,
// orders not yet shipped by then have a null Ship Date, and the VizQL
// emulator uses it as the default anchor of relative date filters.
func Today() time.Time { return time.Date(2026, time.October, 31, 0, 0, 0, 0, time.UTC) }

// Column describes one column of a Table.
type Column struct {
	Name string
	// DataType is one of INTEGER REAL STRING DATE DATETIME BOOLEAN.
	DataType string
	// Role is DIMENSION or MEASURE.
	Role string
	// DefaultAggregation is a VizQL function name: SUM, AVG, COUNT, YEAR, ...
	DefaultAggregation string
	Description        string
}

// Table is a dataset: column definitions and rows. A row holds one value per
// column, in column order; a value is string, int64, float64, time.Time (UTC,
// for DATE and DATETIME), bool, or nil for null.
type Table struct {
	Name    string
	Columns []Column
	Rows    [][]any
}

type dataset struct {
	name  string
	build func() *Table
	once  sync.Once
	table *Table
}

// datasets lists every dataset in the order Names reports them.
var datasets = []*dataset{
	{name: SuperstoreOrders, build: buildSuperstore},
	{name: MarketingLeads, build: buildMarketingLeads},
	{name: FinanceGL, build: buildFinanceGL},
	{name: HRHeadcount, build: buildHRHeadcount},
}

// Get returns the named dataset, generating it on first use.
func Get(name string) (*Table, bool) {
	for _, d := range datasets {
		if d.name == name {
			d.once.Do(func() { d.table = d.build() })
			return d.table, true
		}
	}
	return nil, false
}

// Names lists the dataset names, the main one ("Superstore Orders") first.
// It does not generate anything.
func Names() []string {
	out := make([]string, len(datasets))
	for i, d := range datasets {
		out[i] = d.name
	}
	return out
}

// ColumnIndex returns the position of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Column returns the named column definition.
func (t *Table) Column(name string) (Column, bool) {
	if i := t.ColumnIndex(name); i >= 0 {
		return t.Columns[i], true
	}
	return Column{}, false
}

// GroupSum sums a numeric measure per value of a dimension. Labels come back
// sorted by their sum, largest first (ties by label). A DATE or DATETIME
// dimension is grouped by year and month ("2025-03"); a null dimension value
// is labelled "Null"; null measure values are skipped.
func (t *Table) GroupSum(dimension, measure string) (labels []string, values []float64, err error) {
	di := t.ColumnIndex(dimension)
	if di < 0 {
		return nil, nil, fmt.Errorf("sampledata: %s has no column %q", t.Name, dimension)
	}
	mi := t.ColumnIndex(measure)
	if mi < 0 {
		return nil, nil, fmt.Errorf("sampledata: %s has no column %q", t.Name, measure)
	}
	if dt := t.Columns[mi].DataType; dt != TypeInteger && dt != TypeReal {
		return nil, nil, fmt.Errorf("sampledata: column %q is %s, not numeric", measure, dt)
	}
	sums := map[string]float64{}
	for _, row := range t.Rows {
		label := groupLabel(row[di])
		sums[label] += numeric(row[mi])
	}
	labels = make([]string, 0, len(sums))
	for l := range sums {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		a, b := sums[labels[i]], sums[labels[j]]
		if a != b {
			return a > b
		}
		return labels[i] < labels[j]
	})
	values = make([]float64, len(labels))
	for i, l := range labels {
		values[i] = sums[l]
	}
	return labels, values, nil
}

func groupLabel(v any) string {
	switch x := v.(type) {
	case nil:
		return "Null"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format("2006-01")
	default:
		return fmt.Sprint(x)
	}
}

func numeric(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// round2 rounds to cents.
func round2(v float64) float64 { return math.Round(v*100) / 100 }
