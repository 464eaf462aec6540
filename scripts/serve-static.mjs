// A tiny static file server for the example CRM page (a different origin than the toolbar).
// Usage: node scripts/serve-static.mjs <dir> <port> [host]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const [dir = 'examples/crm', port = '8090', host = '127.0.0.1'] = process.argv.slice(2);
const root = resolve(dir);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
// The loader's ES module, as a CRM app that installed `@agentbar/embed` serves it from its own
// origin (examples/crm/esm.html imports it).
const aliases = { '/agentbar-embed.mjs': resolve(new URL('..', import.meta.url).pathname, 'loader', 'agentbar-embed.mjs') };

const server = createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = aliases[path] ?? join(root, path.endsWith('/') ? path + 'index.html' : path);
  if (!aliases[path] && !file.startsWith(root)) {
    res.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
server.listen(Number(port), host, () => console.log(`serving ${root} at http://${host}:${server.address().port}/`));
