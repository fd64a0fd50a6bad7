// The official TypeScript MCP client against several tableau-mcp replicas
// behind a round-robin proxy with no affinity: connect, call tools, and
// confirm a destructive tool through elicitation, N times over.
//   node replicas.mjs PROXY_URL TOKEN ROUNDS
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const [url, token, rounds] = [process.argv[2], process.argv[3], Number(process.argv[4] || 10)];
let ok = 0, asked = 0;
for (let i = 0; i < rounds; i++) {
  try {
    const transport = new StreamableHTTPClientTransport(new URL(url + "/mcp"), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    const client = new Client({ name: "replicas", version: "1" }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async () => { asked++; return { action: "accept", content: { confirm: true } }; });
    await client.connect(transport);
    for (let k = 0; k < 3; k++) {
      const r = await client.callTool({ name: "tableau_workbooks_list", arguments: { page_size: 1 } });
      if (r.isError) throw new Error(r.content[0].text);
    }
    const p = await client.callTool({ name: "tableau_project_create", arguments: { name: `replicas-${process.pid}-${i}` } });
    if (p.isError) throw new Error(p.content[0].text);
    const id = JSON.parse(p.content[0].text).project.id;
    const d = await client.callTool({ name: "tableau_project_delete", arguments: { project_id: id } });
    if (d.isError) throw new Error(d.content[0].text);
    await client.close();
    ok++;
  } catch (e) {
    console.log("round", i, "failed:", e.message);
  }
}
console.log(`replicas: ${ok} of ${rounds} rounds connected, called tools and confirmed a delete; ${asked} confirmations asked`);
process.exit(ok === rounds ? 0 : 1);
