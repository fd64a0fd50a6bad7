// A round-robin HTTP proxy with no affinity of any kind: each request goes
// to the next backend in turn, its answer streamed back.
//   node proxy.mjs LISTEN_PORT host:port host:port ...
import http from "node:http";

const [port, ...backends] = process.argv.slice(2);
let next = 0;
http.createServer((req, res) => {
  const target = backends[next++ % backends.length];
  const [host, p] = target.split(":");
  const up = http.request({ host, port: p, method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on("error", (e) => { res.writeHead(502); res.end(String(e)); });
  req.pipe(up);
}).listen(Number(port), "127.0.0.1");
