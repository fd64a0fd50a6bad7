// Connects the official TypeScript MCP client to tableau-mcp on stdio,
// streamable HTTP and SSE, lists tools, calls a few, reads a resource.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";

const bin = process.argv[2];
const mode = process.argv[3];
const url = process.argv[4];
const token = process.env.TOKEN;
const headers = token ? { Authorization: `Bearer ${token}` } : {};
let transport;
if (mode === "stdio") transport = new StdioClientTransport({ command: bin, args: [], stderr: "ignore" });
else if (mode === "http") transport = new StreamableHTTPClientTransport(new URL(url + "/mcp"), { requestInit: { headers } });
else transport = new SSEClientTransport(new URL(url + "/sse"), { requestInit: { headers }, eventSourceInit: { fetch: (u, i) => fetch(u, { ...i, headers: { ...(i?.headers || {}), ...headers } }) } });
const client = new Client({ name: "interop", version: "1" });
await client.connect(transport);
const tools = await client.listTools();
console.log(mode, "tools:", tools.tools.length);
const wbs = await client.callTool({ name: "tableau_workbooks_list", arguments: { page_size: 2 } });
const data = JSON.parse(wbs.content[0].text);
// Compact results list items under the plural; Tableau's JSON (--results
// tableau) nests them as plural.singular[].
const items = (doc, plural, singular) => Array.isArray(doc[plural]) ? doc[plural] : doc[plural][singular];
console.log(mode, "workbooks:", items(data, "workbooks", "workbook").map(w => w.name).join(", "));
const views = await client.callTool({ name: "tableau_views_list", arguments: { filter: "name:eq:Sales by Region" } });
const vid = items(JSON.parse(views.content[0].text), "views", "view")[0].id;
const img = await client.callTool({ name: "tableau_view_image_get", arguments: { view_id: vid } });
console.log(mode, "image content:", img.content.map(c => c.type + (c.mimeType ? ":" + c.mimeType : "")).join(" "));
const bad = await client.callTool({ name: "tableau_workbook_get", arguments: { workbook_id: "nope" } });
console.log(mode, "bad id isError:", bad.isError, "-", bad.content[0].text.slice(0, 80));
const tpl = await client.listResourceTemplates();
console.log(mode, "resource templates:", tpl.resourceTemplates.length);
const res = await client.readResource({ uri: `tableau://views/${vid}/data` });
console.log(mode, "resource read:", res.contents[0].mimeType, JSON.stringify(res.contents[0].text).slice(0, 40));
await client.close();
