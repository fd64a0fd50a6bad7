package sampledata

import (
	"fmt"
	"sort"
	"time"
)

// The three small datasets back the other emulated data sources. Each has a
// few hundred rows and covers the remaining data types (DATETIME, BOOLEAN)
// and some nulls.

func buildMarketingLeads() *Table {
	g := newGen(0x1EAD5, 0x2024)
	channels := []string{"Email", "Paid Search", "Social", "Webinar", "Referral", "Events"}
	channelWeights := []float64{25, 22, 18, 12, 13, 10}
	campaigns := map[string][]string{
		"Email":       {"Spring Newsletter", "Renewal Reminder", "Product Launch Blast"},
		"Paid Search": {"Brand Keywords", "Competitor Keywords"},
		"Social":      {"LinkedIn Carousel", "Video Teaser"},
		"Webinar":     {"Analytics 101", "Quarterly Roadmap"},
		"Referral":    {"Partner Program"},
		"Events":      {"Trade Show Booth", "City Roadshow"},
	}
	regions := []string{"Central", "East", "South", "West"}
	stages := []string{"New", "Qualified", "Opportunity", "Won", "Lost"}
	stageWeights := []float64{30, 25, 20, 10, 15}

	first := date(2025, time.January, 1)
	var rows [][]any
	for i := 0; i < 420; i++ {
		created := g.dayIn(first, Today()).Add(time.Duration(g.between(7*60, 19*60)) * time.Minute)
		ch := channels[g.weighted(channelWeights)]
		stage := stages[g.weighted(stageWeights)]
		score := int64(g.between(5, 100))
		var value any
		if stage == "Opportunity" || stage == "Won" {
			value = round2(g.float(2_000, 60_000))
		}
		rows = append(rows, []any{
			"", created, ch, pick(g, campaigns[ch]), pick(g, regions), stage,
			score, stage == "Won", value,
		})
	}
	// Number the leads in the order they arrived.
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][1].(time.Time).Before(rows[j][1].(time.Time)) })
	for i, r := range rows {
		r[0] = fmt.Sprintf("LEAD-%05d", 10001+i)
	}
	return &Table{
		Name: MarketingLeads,
		Columns: []Column{
			{"Lead ID", TypeString, RoleDimension, "COUNT", "Identifier of the lead."},
			{"Created At", TypeDateTime, RoleDimension, "YEAR", "When the lead was captured (UTC)."},
			{"Channel", TypeString, RoleDimension, "COUNT", "Acquisition channel."},
			{"Campaign", TypeString, RoleDimension, "COUNT", "Campaign that produced the lead."},
			{"Region", TypeString, RoleDimension, "COUNT", "Sales region of the lead."},
			{"Stage", TypeString, RoleDimension, "COUNT", "Current funnel stage."},
			{"Lead Score", TypeInteger, RoleMeasure, "AVG", "Fit score from 0 to 100."},
			{"Converted", TypeBoolean, RoleDimension, "COUNT", "True once the lead is won."},
			{"Pipeline Value", TypeReal, RoleMeasure, "SUM", "Expected deal value in USD; null before the opportunity stage."},
		},
		Rows: rows,
	}
}

func buildFinanceGL() *Table {
	g := newGen(0x6E17E7, 0xF1A)
	type account struct {
		name, kind string
		lo, hi     float64
	}
	accounts := []account{
		{"4000 Product Revenue", "Revenue", 40_000, 120_000},
		{"4100 Services Revenue", "Revenue", 8_000, 30_000},
		{"5000 Cost of Goods Sold", "Expense", 20_000, 60_000},
		{"6100 Salaries", "Expense", 30_000, 45_000},
		{"6200 Rent", "Expense", 9_000, 9_000},
		{"6300 Travel", "Expense", 500, 6_000},
		{"6400 Software", "Expense", 2_000, 7_500},
		{"1200 Accounts Receivable", "Asset", -15_000, 25_000},
		{"2100 Accounts Payable", "Liability", -12_000, 18_000},
	}
	departments := []string{"Sales", "Operations", "Engineering", "Finance", "Marketing"}

	var rows [][]any
	n := 0
	for month := date(2025, time.January, 1); !month.After(date(2026, time.October, 1)); month = month.AddDate(0, 1, 0) {
		for _, a := range accounts {
			// One to two postings per account and month, on business-like days.
			postings := 1 + g.intn(2)
			for k := 0; k < postings; k++ {
				n++
				day := month.AddDate(0, 0, g.between(0, 27))
				amount := round2(g.float(a.lo, a.hi+0.01) / 1.5)
				rows = append(rows, []any{
					fmt.Sprintf("GL-%06d", 500000+n), day, a.name, a.kind,
					pick(g, departments), amount, "USD", g.chance(0.93),
				})
			}
		}
	}
	return &Table{
		Name: FinanceGL,
		Columns: []Column{
			{"Entry ID", TypeString, RoleDimension, "COUNT", "Journal entry line identifier."},
			{"Posting Date", TypeDate, RoleDimension, "YEAR", "Accounting date of the posting."},
			{"Account", TypeString, RoleDimension, "COUNT", "General ledger account, number and name."},
			{"Account Type", TypeString, RoleDimension, "COUNT", "Revenue, Expense, Asset or Liability."},
			{"Department", TypeString, RoleDimension, "COUNT", "Cost center that owns the posting."},
			{"Amount", TypeReal, RoleMeasure, "SUM", "Posted amount in the posting currency."},
			{"Currency", TypeString, RoleDimension, "COUNT", "ISO currency code."},
			{"Approved", TypeBoolean, RoleDimension, "COUNT", "Whether the entry passed approval."},
		},
		Rows: rows,
	}
}

func buildHRHeadcount() *Table {
	g := newGen(0x4242, 0x11EAD)
	departments := []string{"Sales", "Operations", "Engineering", "Finance", "Marketing", "People"}
	deptWeights := []float64{22, 18, 30, 8, 12, 6}
	locations := []string{"Seattle", "Austin", "New York City", "Chicago", "Remote"}
	levels := []string{"L1", "L2", "L3", "L4", "L5", "L6"}
	levelWeights := []float64{18, 26, 24, 16, 10, 6}
	baseSalary := []float64{52_000, 68_000, 88_000, 112_000, 140_000, 175_000}

	var rows [][]any
	for i := 0; i < 310; i++ {
		lv := g.weighted(levelWeights)
		hire := g.dayIn(date(2016, time.January, 4), Today().AddDate(0, 0, -7))
		var term any
		if g.chance(0.18) {
			if t := hire.AddDate(0, 0, g.between(90, 2500)); t.Before(Today()) {
				term = t
			}
		}
		fte := 1.0
		if g.chance(0.08) {
			fte = pick(g, []float64{0.5, 0.6, 0.8})
		}
		rows = append(rows, []any{
			fmt.Sprintf("E%05d", 20001+i),
			departments[g.weighted(deptWeights)], levels[lv], pick(g, locations),
			hire, term, round2(baseSalary[lv] * g.float(0.9, 1.15)), fte, term == nil,
		})
	}
	return &Table{
		Name: HRHeadcount,
		Columns: []Column{
			{"Employee ID", TypeString, RoleDimension, "COUNT", "Employee identifier."},
			{"Department", TypeString, RoleDimension, "COUNT", "Department of the employee."},
			{"Job Level", TypeString, RoleDimension, "COUNT", "Career level, L1 (entry) to L6."},
			{"Location", TypeString, RoleDimension, "COUNT", "Office, or Remote."},
			{"Hire Date", TypeDate, RoleDimension, "YEAR", "First day of employment."},
			{"Termination Date", TypeDate, RoleDimension, "YEAR", "Last day of employment; null while employed."},
			{"Salary", TypeReal, RoleMeasure, "SUM", "Annual base salary in USD."},
			{"FTE", TypeReal, RoleMeasure, "SUM", "Full-time equivalent (1.0 = full time)."},
			{"Active", TypeBoolean, RoleDimension, "COUNT", "True while employed."},
		},
		Rows: rows,
	}
}
