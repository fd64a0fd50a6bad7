package vizqlemu

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tableau-mcp/tableau-mcp/emulator/sampledata"
)

const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02T15:04:05"
)

// Function classes (switches rather than package-level maps, which would
// be built at start-up in every process).

func isAggregate(fn string) bool {
	switch fn {
	case "SUM", "AVG", "MEDIAN", "COUNT", "COUNTD", "MIN", "MAX", "STDEV", "VAR":
		return true
	}
	return false
}

func isDatePart(fn string) bool {
	switch fn {
	case "YEAR", "QUARTER", "MONTH", "WEEK", "DAY":
		return true
	}
	return false
}

func isDateTrunc(fn string) bool {
	switch fn {
	case "TRUNC_YEAR", "TRUNC_QUARTER", "TRUNC_MONTH", "TRUNC_WEEK", "TRUNC_DAY":
		return true
	}
	return false
}

// isOther: members of the Function enum that this emulator cannot apply to
// a plain field.
func isOther(fn string) bool {
	switch fn {
	case "COLLECT", "AGG", "NONE", "UNSPECIFIED":
		return true
	}
	return false
}

func knownFunction(fn string) bool {
	return isAggregate(fn) || isDatePart(fn) || isDateTrunc(fn) || isOther(fn)
}

func isNumberType(t string) bool { return t == sampledata.TypeInteger || t == sampledata.TypeReal }
func isDateType(t string) bool   { return t == sampledata.TypeDate || t == sampledata.TypeDateTime }

// datePart computes YEAR QUARTER MONTH WEEK DAY.
func datePart(fn string, t time.Time) int64 {
	switch fn {
	case "YEAR":
		return int64(t.Year())
	case "QUARTER":
		return int64((int(t.Month())-1)/3 + 1)
	case "MONTH":
		return int64(t.Month())
	case "WEEK":
		// Sunday-start weeks; week 1 is the one holding January 1st.
		jan1 := time.Date(t.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
		return int64((t.YearDay()-1+int(jan1.Weekday()))/7 + 1)
	default: // DAY
		return int64(t.Day())
	}
}

// dateTrunc computes the TRUNC_* functions.
func dateTrunc(fn string, t time.Time) time.Time {
	y, m, d := t.Date()
	switch fn {
	case "TRUNC_YEAR":
		return time.Date(y, time.January, 1, 0, 0, 0, 0, time.UTC)
	case "TRUNC_QUARTER":
		return time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	case "TRUNC_MONTH":
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case "TRUNC_WEEK":
		return time.Date(y, m, d-int(t.Weekday()), 0, 0, 0, 0, time.UTC)
	default: // TRUNC_DAY
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
}

// compareValues orders two cell values: null first, then by value. Numbers of
// either Go type compare numerically.
func compareValues(a, b any) int {
	ra, rb := typeRank(a), typeRank(b)
	if ra != rb {
		return ra - rb
	}
	switch x := a.(type) {
	case nil:
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	default:
		fa, fb := toFloat(a), toFloat(b)
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
}

func typeRank(v any) int {
	switch v.(type) {
	case nil:
		return 0
	case bool:
		return 1
	case int64, float64:
		return 2
	case time.Time:
		return 3
	default:
		return 4
	}
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// groupKey encodes a value so equal values (by compareValues) share a key.
func groupKey(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		sb.WriteString("n")
	case string:
		sb.WriteString("s")
		sb.WriteString(x)
	case bool:
		sb.WriteString("b")
		sb.WriteString(strconv.FormatBool(x))
	case int64:
		sb.WriteString("f")
		sb.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 64))
	case float64:
		sb.WriteString("f")
		sb.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case time.Time:
		sb.WriteString("t")
		sb.WriteString(strconv.FormatInt(x.UnixNano(), 10))
	}
	sb.WriteByte(0)
}

// render turns a cell value into its JSON form: dates as strings, reals
// rounded to decimals places when decimals >= 0, non-finite reals as null.
func render(v any, typ string, decimals int) any {
	switch x := v.(type) {
	case time.Time:
		if typ == sampledata.TypeDateTime {
			return x.Format(dateTimeLayout)
		}
		return x.Format(dateLayout)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		if decimals >= 0 {
			p := math.Pow(10, float64(decimals))
			x = math.Round(x*p) / p
		}
		return x
	}
	return v
}

// asText is the string a MATCH filter tests.
func asText(v any, typ string) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return render(x, typ, -1).(string)
	}
	return ""
}

// parseDate reads an RFC 3339 date, or a date-time of which the date counts.
func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(dateLayout, s); err == nil {
		return t, true
	}
	for _, layout := range []string{time.RFC3339, dateTimeLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// parseDateTime reads a date or date-time, keeping the time of day.
func parseDateTime(s string) (time.Time, bool) {
	for _, layout := range []string{dateLayout, time.RFC3339, dateTimeLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
