package tableauemu

import (
	"github.com/tableau-mcp/tableau-mcp/internal/lazy"
	"hash/fnv"
	"time"
)

// Sample content. Every LUID is derived from a stable key, so IDs are the
// same on every run; times are fixed too.

var seedBase = lazy.Value[time.Time]{Build: func() time.Time { return time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC) }}

func day(n int) time.Time { return seedBase.Get().AddDate(0, 0, n) }

func smallHash(key string, mod int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(mod))
}

type seedUser struct{ name, fullName, role string }

type seedView struct {
	name, sheetType, dimension, measure string
}

type seedWorkbook struct {
	name, project, owner, description string
	tags                              []string
	extract                           bool
	datasource                        string // published data source behind every view
	views                             []seedView
}

type seedDatasource struct {
	name, project, owner, typ, server, port, dbUser, description string
	extract, certified                                           bool
	note                                                         string
	tags                                                         []string
}

const superstore = "Superstore Orders"

var demoUsers = []seedUser{
	{"admin@example.com", "Avery Admin", "SiteAdministratorCreator"},
	{"dana.server@example.com", "Dana Server", "ServerAdministrator"},
	{"casey.creator@example.com", "Casey Creator", "Creator"},
	{"erin.explorer@example.com", "Erin Explorer", "Explorer"},
	{"parker.publisher@example.com", "Parker Publisher", "ExplorerCanPublish"},
	{"sam.siteadmin@example.com", "Sam Siteadmin", "SiteAdministratorExplorer"},
	{"vic.viewer@example.com", "Vic Viewer", "Viewer"},
	{"guest", "Guest", "Guest"},
	{"support@example.com", "Support User", "SupportUser"},
	{"una.unlicensed@example.com", "Una Unlicensed", "Unlicensed"},
	{"maria.sales@example.com", "Maria Sales", "Explorer"},
	{"li.marketing@example.com", "Li Marketing", "Creator"},
	{"felix.finance@example.com", "Felix Finance", "Creator"},
}

var demoProjects = []struct{ name, parent, desc, perms, owner string }{
	{"Default", "", "The project every site starts with.", "ManagedByOwner", "admin@example.com"},
	{"Sales", "", "Sales reporting for every region.", "ManagedByOwner", "admin@example.com"},
	{"EMEA", "Sales", "Europe, Middle East and Africa.", "LockedToProject", "maria.sales@example.com"},
	{"Americas", "Sales", "North and South America.", "ManagedByOwner", "maria.sales@example.com"},
	{"Marketing", "", "Campaigns, leads and retention.", "ManagedByOwner", "li.marketing@example.com"},
	{"Finance", "", "Ledger, budgets and forecasts.", "LockedToProjectWithoutNested", "felix.finance@example.com"},
	{"Archive", "", "Retired content kept for reference.", "ManagedByOwner", "admin@example.com"},
}

var demoDatasources = []seedDatasource{
	{superstore, "Sales", "casey.creator@example.com", "postgres", "orders-db.example.com", "5432", "tableau_reader",
		"Orders, customers and products of the Superstore sample.", true, true, "Official orders data, refreshed nightly.", []string{"sales", "certified"}},
	{"Marketing Leads", "Marketing", "li.marketing@example.com", "postgres", "crm-db.example.com", "5432", "crm_reader",
		"Leads from the CRM by source and funnel stage.", false, false, "", []string{"marketing"}},
	{"Finance GL", "Finance", "felix.finance@example.com", "snowflake", "acme.snowflakecomputing.com", "443", "FINANCE_RO",
		"General ledger postings by account and cost center.", true, true, "Reconciled monthly by Finance.", []string{"finance", "certified"}},
	{"HR Headcount", "Default", "admin@example.com", "excel-direct", "", "", "",
		"Monthly headcount by department.", true, false, "", nil},
	{"Web Analytics", "Marketing", "li.marketing@example.com", "bigquery", "bigquery.googleapis.com", "443", "svc-tableau",
		"Sessions and conversions from the web site.", false, false, "", []string{"marketing", "web"}},
}

var demoWorkbooks = []seedWorkbook{
	{"Superstore Sales", "Sales", "casey.creator@example.com", "Sales, profit and order trends of the Superstore.",
		[]string{"sales", "superstore"}, true, superstore, []seedView{
			{"Overview", "dashboard", "Region", "Sales"},
			{"Sales by Region", "worksheet", "Region", "Sales"},
			{"Profit by Category", "worksheet", "Category", "Profit"},
			{"Sales by Segment", "worksheet", "Segment", "Sales"},
			{"Monthly Trend", "worksheet", "Order Date", "Sales"},
		}},
	{"Regional Performance", "EMEA", "maria.sales@example.com", "How each region performs against the others.",
		[]string{"sales", "emea"}, true, superstore, []seedView{
			{"Region Scorecard", "dashboard", "Region", "Profit"},
			{"State Detail", "worksheet", "State", "Sales"},
			{"Quantity by Region", "worksheet", "Region", "Quantity"},
		}},
	{"Executive Overview", "Default", "admin@example.com", "The headline numbers for the leadership team.",
		[]string{"executive", "kpi"}, true, superstore, []seedView{
			{"KPI Summary", "dashboard", "Segment", "Sales"},
			{"Profit Trend", "worksheet", "Order Date", "Profit"},
		}},
	{"Marketing Funnel", "Marketing", "li.marketing@example.com", "Leads through the funnel by source.",
		[]string{"marketing", "funnel"}, false, "Marketing Leads", []seedView{
			{"Funnel", "dashboard", "Stage", "Leads"},
			{"Leads by Source", "worksheet", "Channel", "Leads"},
		}},
	{"Customer Churn", "Marketing", "li.marketing@example.com", "Which customers stop ordering, by segment.",
		[]string{"marketing", "retention"}, true, superstore, []seedView{
			{"Churn by Segment", "worksheet", "Segment", "Quantity"},
			{"Churn by Region", "worksheet", "Region", "Quantity"},
			{"Retention Dashboard", "dashboard", "Segment", "Sales"},
		}},
	{"Pipeline Forecast", "Americas", "maria.sales@example.com", "Forecast sales for the Americas.",
		[]string{"sales", "forecast"}, true, superstore, []seedView{
			{"Forecast by Region", "worksheet", "Region", "Sales"},
			{"Pipeline Detail", "worksheet", "Sub-Category", "Sales"},
		}},
	{"Finance P&L", "Finance", "felix.finance@example.com", "Profit and loss from the general ledger.",
		[]string{"finance"}, true, "Finance GL", []seedView{
			{"P&L Summary", "dashboard", "Account", "Amount"},
			{"Expense Detail", "worksheet", "Department", "Amount"},
		}},
	{"Budget vs Actuals", "Finance", "felix.finance@example.com", "Spend against budget by category.",
		[]string{"finance", "budget"}, true, superstore, []seedView{
			{"Budget by Category", "worksheet", "Category", "Sales"},
			{"Variance", "worksheet", "Sub-Category", "Profit"},
		}},
	{"Shipping Operations", "Sales", "parker.publisher@example.com", "Ship modes and delivery volumes.",
		[]string{"operations"}, true, superstore, []seedView{
			{"Ship Mode Mix", "worksheet", "Ship Mode", "Quantity"},
			{"Shipping Costs", "worksheet", "Ship Mode", "Sales"},
			{"Operations Dashboard", "dashboard", "Ship Mode", "Profit"},
		}},
	{"Product Profitability", "Sales", "casey.creator@example.com", "Which products make money.",
		[]string{"sales", "product"}, true, superstore, []seedView{
			{"Category Profit", "worksheet", "Category", "Profit"},
			{"Discount Impact", "worksheet", "Sub-Category", "Discount"},
			{"Top Products", "worksheet", "Product Name", "Profit"},
			{"Product Dashboard", "dashboard", "Category", "Sales"},
		}},
	{"Segment Analysis", "Americas", "casey.creator@example.com", "Consumer, corporate and home office compared.",
		nil, true, superstore, []seedView{
			{"Segment Sales", "worksheet", "Segment", "Sales"},
			{"Segment Profit", "worksheet", "Segment", "Profit"},
		}},
	{"Legacy KPIs 2019", "Archive", "dana.server@example.com", "Retired KPI workbook.",
		[]string{"archive"}, false, superstore, []seedView{
			{"Old Summary", "worksheet", "Region", "Sales"},
			{"Old Trend", "worksheet", "Order Date", "Sales"},
		}},
}

var demoGroups = []struct {
	name, minRole string
	members       []string
}{
	{"Sales Team", "", []string{"maria.sales@example.com", "casey.creator@example.com", "erin.explorer@example.com"}},
	{"Marketing", "Explorer", []string{"li.marketing@example.com", "parker.publisher@example.com"}},
	{"Finance Analysts", "", []string{"felix.finance@example.com", "sam.siteadmin@example.com"}},
	{"Executives", "Viewer", []string{"admin@example.com", "dana.server@example.com"}},
	{"Contractors", "", nil},
}

var seedSchedules = []struct {
	name, state, typ, frequency, start, end string
	priority                                int
	intervals                               []interval
}{
	{"Hourly Refresh", "Active", "Extract", "Hourly", "00:00:00", "23:00:00", 60, []interval{{"hours", "1"}}},
	{"Daily 2 AM", "Active", "Extract", "Daily", "02:00:00", "", 50, nil},
	{"Weekly Monday Refresh", "Active", "Extract", "Weekly", "05:00:00", "", 50, []interval{{"weekDay", "Monday"}}},
	{"Monthly First Day", "Active", "Extract", "Monthly", "03:30:00", "", 70, []interval{{"monthDay", "1"}}},
	{"Weekday Mornings", "Active", "Subscription", "Weekly", "07:00:00", "", 50, []interval{
		{"weekDay", "Monday"}, {"weekDay", "Tuesday"}, {"weekDay", "Wednesday"}, {"weekDay", "Thursday"}, {"weekDay", "Friday"}}},
	{"Paused Nightly", "Suspended", "Extract", "Daily", "23:00:00", "", 50, nil},
}

func seed(e *Emulator) {
	for i, x := range seedSchedules {
		e.schedules = append(e.schedules, &schedule{
			id: luid("schedule/" + x.name), name: x.name, state: x.state, typ: x.typ, frequency: x.frequency,
			executionOrder: "Parallel", priority: x.priority, createdAt: day(-400 + i), updatedAt: day(-300 + i),
			start: x.start, end: x.end, intervals: x.intervals,
		})
	}
	demo := seedDemo()
	def := seedDefault()
	e.sites = []*site{def, demo}
	admin := demo.userByName("admin@example.com")
	e.pats[patKey(DemoSite, DemoPATName)] = PAT{Name: DemoPATName, Secret: DemoPATSecret, SiteContentURL: DemoSite, UserID: admin.id}
	seedConnectedApp(e)
}

func newSite(contentURL, name string) *site {
	return &site{id: luid("site/" + contentURL), name: name, contentURL: contentURL, createdAt: day(-700),
		storageQuota: 100000, perms: map[string][]*grant{}}
}

func (s *site) key(kind, name string) string { return luid(s.contentURL + "/" + kind + "/" + name) }

func (s *site) addUsers(users []seedUser) {
	for i, x := range users {
		u := &user{id: s.key("user", x.name), name: x.name, fullName: x.fullName, siteRole: x.role,
			authSetting: "ServerDefault", locale: "en_US", language: "en"}
		if x.name != "guest" {
			u.email = x.name
		}
		if x.role != "Unlicensed" && x.role != "Guest" {
			u.lastLogin = day(-smallHash(x.name, 30)).Add(time.Duration(i) * time.Hour)
		}
		s.users = append(s.users, u)
	}
	all := &group{id: s.key("group", "All Users"), name: "All Users"}
	for _, u := range s.users {
		all.members = append(all.members, u.id)
	}
	s.groups = append(s.groups, all)
}

func (s *site) projectByName(name string) *project {
	for _, p := range s.projects {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (s *site) datasourceByName(name string) *datasource {
	for _, d := range s.datasources {
		if d.name == name {
			return d
		}
	}
	return nil
}

func (s *site) addDatasource(i int, x seedDatasource) {
	s.nextNum++
	d := &datasource{id: s.key("datasource", x.name), name: x.name, typ: x.typ, contentURL: urlName(x.name),
		description: x.description, size: 2048 + smallHash(x.name, 90000), createdAt: day(-200 + 3*i), updatedAt: day(-20 + i),
		hasExtracts: x.extract, isCertified: x.certified, certificationNote: x.note,
		projectID: s.projectByName(x.project).id, ownerID: s.userByName(x.owner).id, tags: x.tags, num: s.nextNum}
	if x.server != "" || x.typ != "" {
		d.conns = []*connection{{id: s.key("dsconn", x.name), typ: x.typ, serverAddress: x.server, serverPort: x.port,
			userName: x.dbUser, embedPassword: x.dbUser != ""}}
	}
	s.datasources = append(s.datasources, d)
}

func (s *site) addWorkbook(i int, x seedWorkbook) {
	s.nextNum++
	p := s.projectByName(x.project)
	owner := s.userByName(x.owner)
	w := &workbook{id: s.key("workbook", x.name), name: x.name, description: x.description, contentURL: urlName(x.name),
		showTabs: len(x.views) > 2, hasExtracts: x.extract, size: 1 + smallHash(x.name, 40),
		createdAt: day(-180 + 7*i), updatedAt: day(-30 + 2*i), projectID: p.id, ownerID: owner.id, tags: x.tags, num: s.nextNum}
	if d := s.datasourceByName(x.datasource); d != nil {
		w.conns = []*connection{{id: s.key("wbconn", x.name), typ: "sqlproxy", serverAddress: "localhost", serverPort: "8060",
			userName: "", embedPassword: false, dsID: d.id, dsName: d.name}}
	}
	s.workbooks = append(s.workbooks, w)
	for j, v := range x.views {
		s.views = append(s.views, &view{
			id: s.key("view", x.name+"/"+v.name), name: v.name, viewURLName: urlName(v.name), sheetType: v.sheetType,
			workbookID: w.id, ownerID: w.ownerID, projectID: w.projectID,
			createdAt: w.createdAt.Add(time.Duration(j) * time.Minute), updatedAt: w.updatedAt,
			totalViews:      smallHash(x.name+"/"+v.name, 500),
			chartDatasource: x.datasource, chartDimension: v.dimension, chartMeasure: v.measure,
		})
	}
}

func (s *site) addJob(key, status, jobType, kind, name string, ago time.Duration, run time.Duration, notes ...string) {
	j := &job{id: s.key("job", key), status: status, jobType: jobType, priority: 50, createdAt: seedBase.Get().Add(-ago),
		contentKind: kind, contentName: name, notes: notes}
	if kind == "workbook" {
		for _, w := range s.workbooks {
			if w.name == name {
				j.contentID = w.id
			}
		}
	} else if d := s.datasourceByName(name); d != nil {
		j.contentID = d.id
	}
	switch status {
	case "InProgress":
		j.startedAt, j.progress = j.createdAt.Add(30*time.Second), 40
	case "Success", "Failed":
		j.startedAt, j.endedAt, j.progress = j.createdAt.Add(30*time.Second), j.createdAt.Add(30*time.Second+run), 100
	case "Cancelled":
		j.startedAt, j.endedAt, j.progress = j.createdAt.Add(30*time.Second), j.createdAt.Add(30*time.Second+run), 10
	}
	s.jobs = append(s.jobs, j)
}

func seedDemo() *site {
	s := newSite("demo", "Tableau MCP Demo (sample data)")
	s.addUsers(demoUsers)
	for i, x := range demoProjects {
		p := &project{id: s.key("project", x.name), name: x.name, description: x.desc, contentPermissions: x.perms,
			ownerID: s.userByName(x.owner).id, createdAt: day(-365 + i), updatedAt: day(-100 + i)}
		if x.parent != "" {
			p.parentID = s.projectByName(x.parent).id
		}
		s.projects = append(s.projects, p)
	}
	for i, x := range demoDatasources {
		s.addDatasource(i, x)
	}
	for i, x := range demoWorkbooks {
		s.addWorkbook(i, x)
	}
	for _, x := range demoGroups {
		g := &group{id: s.key("group", x.name), name: x.name, minimumSiteRole: x.minRole}
		for _, m := range x.members {
			g.members = append(g.members, s.userByName(m).id)
		}
		s.groups = append(s.groups, g)
	}

	s.seedCustomViews()
	s.seedFlows()
	s.seedPulse()

	s.addJob("pending-superstore", "Pending", "refresh_extracts", "datasource", superstore, 2*time.Minute, 0)
	s.addJob("running-sales", "InProgress", "refresh_extracts", "workbook", "Superstore Sales", 10*time.Minute, 0)
	s.addJob("ok-finance-gl", "Success", "refresh_extracts", "datasource", "Finance GL", 3*time.Hour, 4*time.Minute)
	s.addJob("ok-churn", "Success", "increment_extracts", "workbook", "Customer Churn", 5*time.Hour, 90*time.Second)
	s.addJob("failed-hr", "Failed", "refresh_extracts", "datasource", "HR Headcount", 26*time.Hour, 45*time.Second,
		"Unable to connect to the file 'headcount.xlsx': the file was not found.")
	s.addJob("cancelled-budget", "Cancelled", "refresh_extracts", "workbook", "Budget vs Actuals", 30*time.Hour, 20*time.Second)
	s.addJob("ok-superstore", "Success", "refresh_extracts", "datasource", superstore, 24*time.Hour, 6*time.Minute)

	sched := func(name string) string { return luid("schedule/" + name) }
	for _, t := range []struct {
		key, kind, name, typ, schedule string
		failed                         int
	}{
		{"superstore-daily", "datasource", superstore, "RefreshExtract", "Daily 2 AM", 0},
		{"finance-gl-hourly", "datasource", "Finance GL", "IncrementExtract", "Hourly Refresh", 0},
		{"sales-weekly", "workbook", "Superstore Sales", "RefreshExtract", "Weekly Monday Refresh", 0},
		{"churn-daily", "workbook", "Customer Churn", "IncrementExtract", "Daily 2 AM", 0},
		{"hr-monthly", "datasource", "HR Headcount", "RefreshExtract", "Monthly First Day", 2},
	} {
		tk := &task{id: s.key("task", t.key), priority: 50, failed: t.failed, typ: t.typ, scheduleID: sched(t.schedule), contentKind: t.kind}
		if t.kind == "workbook" {
			for _, w := range s.workbooks {
				if w.name == t.name {
					tk.contentID = w.id
				}
			}
		} else {
			tk.contentID = s.datasourceByName(t.name).id
		}
		s.tasks = append(s.tasks, tk)
	}

	grp := func(name string) string { return s.key("group", name) }
	usr := func(name string) string { return s.userByName(name).id }
	caps := func(mode string, names ...string) []capability {
		out := make([]capability, len(names))
		for i, n := range names {
			out[i] = capability{n, mode}
		}
		return out
	}
	s.grant(s.projectByName("Sales").id, &grant{"group", grp("All Users"), caps("Allow", "Read")})
	s.grant(s.projectByName("Sales").id, &grant{"group", grp("Sales Team"), caps("Allow", "Read", "Write")})
	s.grant(s.projectByName("Finance").id, &grant{"group", grp("Finance Analysts"), caps("Allow", "Read", "Write")})
	s.grant(s.projectByName("Finance").id, &grant{"user", usr("vic.viewer@example.com"), caps("Deny", "Read")})
	s.grant(s.projectByName("Marketing").id, &grant{"user", usr("li.marketing@example.com"), caps("Allow", "ProjectLeader")})
	wb := s.key("workbook", "Superstore Sales")
	s.grant(wb, &grant{"group", grp("All Users"), caps("Allow", "Read", "Filter", "ExportImage", "ViewComments")})
	s.grant(wb, &grant{"group", grp("Sales Team"), caps("Allow", "ExportData", "WebAuthoring")})
	s.grant(wb, &grant{"user", usr("vic.viewer@example.com"), caps("Deny", "ExportData")})
	s.grant(s.key("workbook", "Finance P&L"), &grant{"group", grp("Finance Analysts"), caps("Allow", "Read", "Filter", "ExportData")})
	ds := s.key("datasource", superstore)
	s.grant(ds, &grant{"group", grp("All Users"), caps("Allow", "Read", "Connect")})
	s.grant(ds, &grant{"group", grp("Sales Team"), caps("Allow", "VizqlDataApiAccess")})
	s.grant(s.key("datasource", "Finance GL"), &grant{"group", grp("Finance Analysts"), caps("Allow", "Read", "Connect")})
	return s
}

func seedDefault() *site {
	s := newSite("", "Default")
	s.addUsers([]seedUser{
		{"admin@example.com", "Avery Admin", "ServerAdministrator"},
		{"default.creator@example.com", "Drew Creator", "Creator"},
		{"default.viewer@example.com", "Dee Viewer", "Viewer"},
	})
	for i, name := range []string{"Default", "Samples"} {
		s.projects = append(s.projects, &project{id: s.key("project", name), name: name, description: name + " project.",
			contentPermissions: "ManagedByOwner", ownerID: s.userByName("admin@example.com").id, createdAt: day(-600 + i), updatedAt: day(-500 + i)})
	}
	s.addDatasource(0, seedDatasource{superstore, "Samples", "admin@example.com", "hyper", "", "", "",
		"Superstore sample extract.", true, false, "", []string{"sample"}})
	s.addWorkbook(0, seedWorkbook{"Superstore", "Samples", "admin@example.com", "The Superstore sample workbook.",
		[]string{"sample"}, true, superstore, []seedView{
			{"Overview", "dashboard", "Region", "Sales"},
			{"Product", "worksheet", "Category", "Sales"},
			{"Customers", "worksheet", "Segment", "Profit"},
			{"Shipping", "worksheet", "Ship Mode", "Quantity"},
		}})
	s.addJob("ok-superstore", "Success", "refresh_extracts", "datasource", superstore, 12*time.Hour, 2*time.Minute)
	return s
}
