// Package scalekitemu is an in-memory stand-in for Scalekit's Agent Auth REST
// API, for tests and demos of tableau-mcp. Unlike a canned mock it really
// runs the tools: every connected account holds a Tableau personal access
// token, and execute_tool and the proxy sign in to the configured Tableau
// server over HTTP, keep the session, and call the Tableau REST API the way
// Scalekit's Tableau connector does.
//
// Wire behaviour (paths, field names, statuses, error bodies) follows
// Scalekit's published API. Where the emulator had to choose, it chose:
//
//   - POST /oauth/token answers errors in the OAuth 2.0 form
//     {"error":"unsupported_grant_type"|"invalid_client"|"invalid_request","error_description":...}
//     (400 for a bad grant or request, 401 for unknown client credentials).
//     The client may send its credentials in the form or with HTTP Basic.
//   - Every other error uses Scalekit's gRPC-style body
//     {"code":N,"message":"...","details":[{"@type":"type.googleapis.com/scalekit.v1.errdetails.ErrorInfo","error_code":"..."}]}.
//     For a failed tool (error_code TOOL_ERROR) the same detail object also
//     carries "tool_error_info":{"execution_id","tool_error_message","tool_error_code"}.
//   - execute_tool resolves the connected account before the tool, so when
//     both are unknown the answer names the account. Both answer 404; only
//     the message differs.
//   - Tool parameters are checked like a JSON schema would: unknown names,
//     wrong JSON types and missing required parameters answer 400
//     INVALID_ARGUMENT. In tableau_query_view, fields, filters and sort must
//     be strings holding JSON arrays, as in Scalekit's connector.
//   - Tools whose Tableau answer is not JSON (view image, PDF, CSV data) put
//     {"content_type","text"} (text answers) or {"content_type","content_base64"}
//     (binary answers) into data. The proxy is the better way to fetch those.
//   - The proxy passes Tableau's answer through unchanged, error statuses
//     included, and streams the body.
package scalekitemu
