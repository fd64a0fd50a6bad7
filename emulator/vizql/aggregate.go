package vizqlemu

import (
	"math"
	"sort"
	"strings"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

// aggregate applies an aggregate function to the non-null values of one
// group. colType is the type of the aggregated column.
func aggregate(fn, colType string, vals []any) any {
	switch fn {
	case "COUNT":
		return int64(len(vals))
	case "COUNTD":
		seen := map[string]bool{}
		var sb strings.Builder
		for _, v := range vals {
			sb.Reset()
			groupKey(&sb, v)
			seen[sb.String()] = true
		}
		return int64(len(seen))
	case "MIN", "MAX":
		if len(vals) == 0 {
			return nil
		}
		best := vals[0]
		for _, v := range vals[1:] {
			c := compareValues(v, best)
			if (fn == "MIN" && c < 0) || (fn == "MAX" && c > 0) {
				best = v
			}
		}
		return best
	}

	// The remaining functions are numeric.
	if len(vals) == 0 {
		return nil
	}
	nums := make([]float64, len(vals))
	for i, v := range vals {
		nums[i] = toFloat(v)
	}
	switch fn {
	case "SUM":
		if colType == sampledata.TypeInteger {
			var s int64
			for _, v := range vals {
				s += v.(int64)
			}
			return s
		}
		return sum(nums)
	case "AVG":
		return sum(nums) / float64(len(nums))
	case "MEDIAN":
		sort.Float64s(nums)
		n := len(nums)
		if n%2 == 1 {
			return nums[n/2]
		}
		return (nums[n/2-1] + nums[n/2]) / 2
	case "VAR", "STDEV":
		if len(nums) < 2 {
			return nil
		}
		mean := sum(nums) / float64(len(nums))
		ss := 0.0
		for _, x := range nums {
			ss += (x - mean) * (x - mean)
		}
		v := ss / float64(len(nums)-1)
		if fn == "STDEV" {
			return math.Sqrt(v)
		}
		return v
	}
	return nil
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}
