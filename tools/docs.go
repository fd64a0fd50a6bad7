package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Doc is a guide a model can read as a resource when it needs more than a
// tool's description says: the descriptions stay short, the detail is here.
type Doc struct {
	Resource mcp.Resource
	// Tool is the tool the guide serves; the guide is offered only with it.
	Tool string
	// text writes the guide, when it is read.
	text func() string
}

// Text is the guide.
func (d Doc) Text() string { return d.text() }

// Read answers a read of the guide.
func (d Doc) Read(_ context.Context, _ mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: d.Resource.URI, MIMEType: d.Resource.MIMEType, Text: d.text()}}, nil
}

const queryGuide = `# Querying a published data source (tableau_query_view)

1. Find the data source: tableau_datasources_list (e.g. filter name:has:Superstore); its id is datasource_luid.
2. Read its fields: tableau_datasource_metadata_get. Use each field's caption exactly (case-sensitive).
3. Query: fields are the answer's columns.

## fields
- A dimension without function groups the rows: {"fieldCaption":"Region"}.
- A measure needs an aggregation: {"fieldCaption":"Sales","function":"SUM"}.
  Aggregations: SUM AVG MEDIAN COUNT COUNTD MIN MAX STDEV VAR (COUNT COUNTD MIN MAX also fit text), COLLECT, AGG.
  A measure without a function returns one row per record, unaggregated.
- A date takes a part (YEAR QUARTER MONTH WEEK DAY) or a truncation (TRUNC_YEAR TRUNC_QUARTER TRUNC_MONTH TRUNC_WEEK TRUNC_DAY).
- fieldAlias renames the column's key in the rows; maxDecimalPlaces rounds numbers.
- calculation computes a column with a Tableau formula, e.g. {"fieldCaption":"Margin","calculation":"SUM([Profit])/SUM([Sales])"}; fieldCaption names the result and function stays out.
- Row keys are the caption for a dimension and FUNCTION(Caption) for the rest, e.g. Region and SUM(Sales), unless fieldAlias is given.

## filters (every filter must pass)
Each filter has field ({"fieldCaption":...}, optionally with function or calculation) and filterType:
- SET: values (members exactly as stored, e.g. ["East","West"]); exclude true keeps all the others.
- MATCH: contains, startsWith or endsWith (text); exclude true inverts.
- QUANTITATIVE_NUMERICAL: quantitativeFilterType RANGE (min and max), MIN (min), MAX (max), ONLY_NULL or ONLY_NON_NULL; includeNulls keeps nulls too.
- QUANTITATIVE_DATE: the same with minDate and maxDate as YYYY-MM-DD (inclusive).
- DATE (relative): periodType MINUTES HOURS DAYS WEEKS MONTHS QUARTERS YEARS; dateRangeType CURRENT, LAST (the previous period), NEXT, LASTN or NEXTN (with rangeN periods), TODATE (from the period's start); anchorDate YYYY-MM-DD (default today).
- TOP: howMany members of field ranked by fieldToMeasure (e.g. {"fieldCaption":"Sales","function":"SUM"}); direction TOP (default) or BOTTOM.
- context true applies a filter before the others (a TOP filter then ranks only what it keeps).

Examples:
- Last quarter: {"field":{"fieldCaption":"Order Date"},"filterType":"DATE","periodType":"QUARTERS","dateRangeType":"LAST"}
- One region: {"field":{"fieldCaption":"Region"},"filterType":"SET","values":["West"]}
- Top 5 customers by sales: {"field":{"fieldCaption":"Customer Name"},"filterType":"TOP","howMany":5,"fieldToMeasure":{"fieldCaption":"Sales","function":"SUM"}}

## sort
sort lists queried fields by caption, alias or row key, e.g. [{"fieldCaption":"Sales","function":"SUM","sortDirection":"DESC"}]; sortPriority 1 sorts first.
A field may carry sortDirection and sortPriority itself instead.

## rows and the answer
max_rows (1 to 10000, default 1000) caps the rows. The answer is {rowCount, truncated, note, rows[]}; when truncated, the note says how to narrow the query.
The query is checked against the data source's fields before it is sent; an error names the field or member at fault and the captions that exist.
fields, filters and sort may also be given as a string holding the JSON array.
`

// filterGuide renders the list filter grammar with each collection's
// filter and sort fields.
func filterGuide() string {
	var b strings.Builder
	b.WriteString("# Filtering and sorting lists\n\n")
	b.WriteString("filter is field:operator:value; join several with commas and no spaces (all must hold).\n")
	b.WriteString("Operators: " + operatorHelp + "\n")
	b.WriteString("Values may not contain ',' (outside an in list) or '&'. Times are UTC ISO 8601, e.g. 2025-01-01T00:00:00Z.\n")
	b.WriteString("sort is field:asc or field:desc, comma-joined, e.g. updatedAt:desc,name:asc.\n\n")
	b.WriteString("## Fields per list tool\n\n")
	for _, name := range sortedKeys(boolSet(listFieldTools())) {
		lf := listFields[listFieldTools()[name]]
		fmt.Fprintf(&b, "- %s: filter on %s; sort on %s\n", name, strings.Join(lf.filter, ", "), strings.Join(lf.sort, ", "))
	}
	return b.String()
}

func boolSet(m map[string]string) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
