// Trunk post-build hook: moves Trunk's inline wasm loader into a file and adds the
// Content-Security-Policy of deploy/csp.txt as a meta tag, so the toolbar runs with no
// 'unsafe-inline' script (docs/DEPLOYMENT.md). Runs in Trunk's staging directory.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR;
if (!dir) throw new Error('run as a Trunk post_build hook (TRUNK_STAGING_DIR is not set)');
const root = process.env.TRUNK_SOURCE_DIR ?? '.';
const indexPath = join(dir, 'index.html');
let html = readFileSync(indexPath, 'utf8');

const inline = /<script type="module">([\s\S]*?)<\/script>/;
const match = html.match(inline);
if (match) {
  const code = match[1].trim() + '\n';
  const hash = createHash('sha384').update(code).digest();
  const name = `boot-${hash.toString('hex').slice(0, 16)}.js`;
  writeFileSync(join(dir, name), code);
  const integrity = 'sha384-' + hash.toString('base64');
  html = html.replace(inline, `<script type="module" src="/${name}" integrity="${integrity}" crossorigin="anonymous"></script>`);
}
const policy = readFileSync(join(root, 'deploy', 'csp.txt'), 'utf8').trim();
if (/unsafe-inline/.test(policy)) throw new Error("deploy/csp.txt must not allow 'unsafe-inline'");
if (!html.includes('http-equiv="Content-Security-Policy"')) {
  html = html.replace('<meta charset="utf-8" />', `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
}
writeFileSync(indexPath, html);
