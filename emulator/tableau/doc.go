// Package tableauemu is an in-memory Tableau Server (REST API) that serves
// tests, the server's "--backend demo" (in process, through ServeHTTP) and a
// standalone emulator. New seeds two sites with sample content whose LUIDs
// and times are derived from fixed keys, so they are the same on every run.
//
// # Sample content
//
// Site "demo" ("Tableau MCP Demo (sample data)") and the Default site ("").
// The demo site has nested projects (Default, Sales > EMEA and Americas,
// Marketing, Finance, Archive), twelve workbooks with two to five views each,
// five published data sources (one named exactly "Superstore Orders"), a
// user in every site role, groups (All Users and five more, one empty), jobs
// in every status, extract refresh tasks and permissions. Schedules live at
// server level. DefaultPAT signs in to "demo" as admin@example.com, a
// SiteAdministratorCreator; AddPAT adds tokens for other users.
//
// Each view also carries a hidden chart (data source, dimension, measure),
// never in JSON, that ViewChart reports for exports; most views chart
// "Superstore Orders".
//
// # Faithful to the reference
//
//   - Paths /api/{v}/..., v from 2.0 up to Config.APIVersion; a newer or
//     malformed version answers 404 / 404003. serverinfo needs no token.
//   - PAT sign-in body and answer; one live session per PAT (signing in again
//     ends the earlier token); idle timeout (default 240 minutes) and optional
//     absolute lifetime; 401000 without X-Tableau-Auth, 401001 for a bad PAT
//     or unknown site, 401002 for an ended or unknown token; sign-out 204.
//   - Connected-app (Direct Trust) sign-in with {"jwt": ...}: HS256 only,
//     kid naming the app's secret, iss its client ID (header or payload),
//     aud "tableau", exp at most 10 minutes ahead, a jti used once, scp a
//     list, sub a site user's exact name; refusals are 401001 with the
//     connected-app code in the detail (5 SYSTEM_USER_NOT_FOUND, 16
//     LOGIN_FAILED, 10081, 10083 BAD_JWT, 10084 INVALID_JWT, 10085, 10094).
//     JWT sessions of one user live side by side, and each route checks its
//     scope (tableau:content:read for content GETs, download and
//     tableau:<resource>:<action> scopes otherwise; 403157 when missing).
//     DefaultConnectedApp is the demo site's app; AddConnectedApp adds others.
//   - JSON only when Accept names application/json, XML otherwise: the same
//     document with scalars as attributes and objects and arrays as child
//     elements, errors as <error code><summary/><detail/></error>.
//   - Error bodies {"error":{"code","summary","detail"}} with string codes.
//   - Lists: pageSize (default 100, at most 1000: 403014 above, 400007 for
//     zero, negative or non-numbers), pageNumber (1-based, 400006 when bad),
//     pagination numbers as strings, empty collections and tags as {}.
//     filter=field:op:value joined by commas, ops eq gt gte lt lte in has
//     cieq, in:[a,b]; sort=field:asc|desc joined by commas. One generic
//     collection (query.go) serves every list; each kind declares its
//     filterable fields in model.go.
//   - Counts and sizes are strings; creates answer 201, deletes 204, updates
//     200 with the object.
//
// # Choices where the reference is unconfirmed
//
//   - Booleans are real JSON booleans; request bodies accept true or "true",
//     numbers or numeric strings, and one object where an array is expected.
//   - Not-found codes: 404000 site, 404001 permission, 404002 user, 404003
//     endpoint or version, 404004 view, 404005 project, 404006 workbook,
//     404011 data source, 404012 group, 404013 schedule, 404016 task, 404031
//     job. Summary "Resource Not Found".
//   - 400000 malformed body or bad value (detail names the member),
//     400009 unknown capability or mode, 400013 invalid site role, 400065 bad
//     filter (unknown field, operator, operator not valid for the field's
//     type, bad value), 400066 bad sort.
//   - 403000 for a token of one site used on another site's path (and for
//     deleting the Default project or the All Users group); 403133 when the
//     caller's role may not do something: changing users, groups, schedules,
//     listing or cancelling jobs need a site or server administrator;
//     changing content needs its owner or an administrator. Unlicensed users
//     cannot sign in (401001).
//   - 409000 for name conflicts (project under the same parent, group, user,
//     schedule, workbook or data source in the same project), for cancelling
//     a finished job and for removing a user who owns content without
//     ?mapAssetsTo={user-luid}; 409011 for adding a group member twice.
//   - Workbook and data source refresh answer 202 with {"job":{...}}; a
//     content without an extract answers 400. runNow answers 200 with the
//     job. Jobs started this way advance with Config.Now: Pending for 2 s,
//     InProgress for 8 s, then Success. Cancel answers 200 with no body.
//   - Deleting a project deletes everything in it, sub-projects included; a
//     workbook's deletion removes its views, tasks and permissions; deleting
//     a schedule removes its tasks on every site.
//   - GET /workbooks/{id}/views and the connection lists have no pagination
//     (as Tableau documents them); the other lists all page.
//   - GET /sites lists the sites where a user of the caller's name exists
//     (all of them for a ServerAdministrator). GET /sites/{id} also takes
//     ?key=contentUrl|name. fields= is accepted and ignored.
//   - Schedules behave as on Tableau Server (name, state, priority, type,
//     frequency, executionOrder, frequencyDetails, nextRunAt in UTC); Hourly
//     needs one hours or minutes interval and an end, Weekly weekDay
//     intervals, Monthly monthDay intervals.
//   - Request bodies must be JSON; an XML body answers 400 saying so.
//   - VizQL Data Service paths (/api/v1/vizql-data-service/...) go to
//     Config.VizQL after the token check; an unknown token answers 401 with
//     the VDS body {"errorCode":"401002","message","datetime"}.
//
// # Exports and downloads
//
// The binary endpoints answer real files made from the sample data behind a
// view's hidden chart (emulator/sampledata, drawn by emulator/render):
//
//   - GET /views/{id}/image: a PNG bar chart titled with the view's name,
//     800x600 unless vizWidth/vizHeight say otherwise (each clamped to
//     100..4000), twice both sides with resolution=high. format other than
//     PNG answers 400 (SVG needs 3.29 and is not drawn here).
//   - GET /views/{id}/pdf: a valid one-page PDF of that chart; type is one of
//     a3 a4 a5 b4 b5 executive folio ledger legal letter note quarto tabloid
//     unspecified (any case; empty is letter), orientation portrait or
//     landscape; anything else answers 400 / 400000.
//   - GET /views/{id}/data: the view's summary data as CSV, header
//     "<dimension>,<measure>", one row per dimension value.
//   - GET /views/{id}/crosstab/excel: the same table as a one-sheet .xlsx.
//   - GET /workbooks/{id}/content and /datasources/{id}/content: a .twbx or
//     .tdsx (zip holding the .twb/.tds and a placeholder extract of
//     Config.ExtractBytes, streamed) when the content has extracts and
//     includeExtract is not false, a plain .twb/.tds otherwise.
//     Content-Disposition: attachment; filename="<name>.<ext>" (RFC 2231
//     form for names that need it); the view exports name their file too.
//
// The summary aggregates the measure per dimension value: SUM, or AVG when
// the column's default aggregation is AVG, or a count of rows when the
// measure is no numeric column of the data source (the "Leads" of the
// marketing views). Date dimensions group by month in time order; others
// sort by value, largest first. vf_<field>=v1,v2 keeps the rows whose field
// has one of the values before aggregating (exact text; dates as
// 2006-01-02); a field the data source lacks is ignored, as Tableau ignores
// it. maxAge, vizWidth and vizHeight must be whole numbers of at least 1
// (400 otherwise). Permissions (ExportImage, ExportData) are not enforced.
//
// # For tests
//
// FailNext queues injected errors (429, 500, 503, ...); Requests and Stats
// show what clients sent; ExpireSessions ends every token; CheckToken and
// SessionFromContext expose sessions to the VizQL handler.
package tableauemu
