#!/usr/bin/env node
// The attack table (issue 12): every attack a row — what, the refusal expected, what was
// observed. The bridge's rows come from scripts/attacks-bridge.mjs (HTTP against the bridge in
// demo mode in front of the simulator); the browser's are the Playwright tests tagged @attack
// (hostile embedding origin, replay after sign-out, crafted ?gateway= link, the tab channel,
// markup in the DOM, the CSP), run against the release build. One table, exit 1 if any fails.
//
//   ./dev.sh attacks      (builds what it needs, then runs this)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'agentbar-attacks-'));

const bridgeJson = join(dir, 'bridge.json');
spawnSync('node', [join(ROOT, 'scripts', 'attacks-bridge.mjs')], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, ATTACKS_JSON: bridgeJson },
});
let rows = [];
try {
  rows = JSON.parse(readFileSync(bridgeJson, 'utf8')).map((r) => ({ ...r, where: 'bridge' }));
} catch (e) {
  rows.push({ where: 'bridge', what: 'bridge attack script', expected: 'runs', observed: String(e), pass: false });
}

// The browser's rows: each test names its attack and asserts the refusal.
const report = join(dir, 'browser.json');
spawnSync('npx', ['playwright', 'test', '--grep', '@attack', '--reporter=json', '--retries=0'], {
  cwd: join(ROOT, 'e2e'),
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: report },
});
const walk = (suite, out) => {
  for (const spec of suite.specs ?? []) out.push(spec);
  for (const child of suite.suites ?? []) walk(child, out);
  return out;
};
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  for (const e of json.errors ?? []) {
    rows.push({ where: 'browser', what: 'browser attack tests', expected: 'load and run', observed: e.message.slice(0, 160), pass: false });
  }
  for (const spec of json.suites.flatMap((s) => walk(s, []))) {
    const result = spec.tests?.[0]?.results?.at(-1);
    const pass = result?.status === 'passed';
    const error = result?.error?.message?.split('\n')[0] ?? result?.status ?? 'not run';
    rows.push({
      where: 'browser',
      what: spec.title.replace(' @attack', ''),
      expected: 'refused, as the test asserts',
      observed: pass ? `refused (${result.duration} ms)` : error.slice(0, 160),
      pass,
    });
  }
} catch (e) {
  rows.push({ where: 'browser', what: 'browser attack tests', expected: 'run', observed: String(e), pass: false });
}

console.log('\n== attack table ==');
rows.forEach((r, i) => {
  console.log(`${String(i + 1).padStart(2)}  ${r.pass ? 'PASS' : 'FAIL'}  ${r.where.padEnd(8)}${r.what}`);
  console.log(`${' '.repeat(16)}expected: ${r.expected}`);
  console.log(`${' '.repeat(16)}observed: ${r.observed}`);
});
const failed = rows.filter((r) => !r.pass).length;
console.log(`\n${rows.length - failed}/${rows.length} attacks refused${failed ? `; ${failed} FAILED` : ''}`);
process.exit(failed ? 1 : 0);
