// Fault table: a benchmark (not a test) of how the toolbar survives gateway and network faults.
// For each scenario it builds a known situation in a fresh browser context (one call answered
// and held, a second call talking), arms one fault through the simulator's `/sim/fault`, waits
// for its effect and records: page errors/panics, the connection status (`reconnecting` and
// back to `online` for transport faults), held calls and agent state against the simulator's,
// and, for sign-out-like faults, a clear signed-out reason. Prints one table row per scenario
// with the time from the fault hitting to the toolbar agreeing with the simulator again.
// Always exits 0: the table is the result.
//
//   node scripts/faults.mjs            (needs target/debug/agentbar-sim and dist/)
//   SIM_BIN=... AGENTBAR_DIST=... CHROMIUM=... ONLY=drop,status node scripts/faults.mjs
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { freePort, simControl } from './bench-lib.mjs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SIM_BIN = process.env.SIM_BIN ?? join(ROOT, 'target', 'debug', 'agentbar-sim');
const DIST = process.env.AGENTBAR_DIST ?? join(ROOT, 'dist');
const ONLY = process.env.ONLY ? process.env.ONLY.split(',') : null;
// The long-poll wait is shortened so a fault armed for the next poll is reached within 2 s
// instead of the gateway's 10 s; the toolbar's behaviour does not depend on it.
const POLL_WAIT_MS = 2000;
const SETTLE_TIMEOUT_MS = 25_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await freePort();
const URL_BASE = `http://127.0.0.1:${port}`;

const ctl = (path, body, method) => simControl(URL_BASE, path, body, method);

/** The toolbar's `data-state` for the simulator's view of agent 101. */
function simDisplay(agent, calls) {
  if (!agent.signedIn) return 'signed-out';
  if (agent.consult) return 'consulting';
  if (agent.current) {
    const call = calls.find((c) => c.id === agent.current);
    return call?.state?.state === 'dialing' ? 'dialing' : 'talking';
  }
  if (agent.ringing) return 'ringing';
  if (agent.held.length) return 'held';
  return { 3: 'busy', 4: 'ready', 5: 'wrap-up', 8: 'rest' }[agent.agentState] ?? `code ${agent.agentState}`;
}

/** What the toolbar shows and what the simulator holds, side by side. */
async function observe(page) {
  const dom = await page.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid=${id}]`);
    return {
      state: q('agent-state')?.dataset.state ?? (q('signin-form') ? 'signed-out' : null),
      conn: q('connection-status')?.dataset.status ?? null,
      held: [...document.querySelectorAll('[data-testid=hold-item]')].map((e) => e.dataset.callid).sort(),
      error: q('error-message')?.innerText.replace(/\s+/g, ' ').replace(/ ×$/, '').trim() ?? null,
      connLog: window.__conn ?? [],
    };
  });
  const state = await ctl('state');
  const agent = state.agents.find((a) => a.workno === '101');
  return { dom, sim: { state: simDisplay(agent, state.calls), held: [...agent.held].sort(), signedIn: agent.signedIn } };
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const consistent = (o) => o.dom.state === o.sim.state && same(o.dom.held, o.sim.held);
const describe = (o) =>
  `toolbar ${o.dom.state}/${o.dom.conn ?? '-'} held [${o.dom.held.join(',')}]` +
  `${o.dom.error ? ` msg "${o.dom.error}"` : ''}; sim ${o.sim.state} held [${o.sim.held.join(',')}]`;

// ------------------------------------------------------------------ toolbar driving

async function signIn(page) {
  await page.getByTestId('signin-agent').fill('101');
  await page.getByTestId('signin-password').fill('agent123');
  await page.getByTestId('signin-phone').fill('70001');
  await page.getByTestId('signin-submit').click();
}

const waitState = (page, state, timeout = 10_000) =>
  page.locator(`[data-testid=agent-state][data-state=${state}]`).waitFor({ timeout });

async function offerAndAnswer(page, caller) {
  const { callid } = await ctl('offer', { agent: '101', caller, called: '4001', media: 'voice' });
  await page.getByTestId('answer').waitFor();
  await page.getByTestId('answer').click();
  await waitState(page, 'talking');
  return callid;
}

/** A fresh gateway, a fresh browser context, signed in, one call held and one talking. */
async function prepare(browser) {
  await ctl('reset', {});
  await ctl('config', { pollWaitMs: POLL_WAIT_MS });
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.text().includes('panicked')) errors.push(`console: ${m.text().slice(0, 200)}`);
    if (process.env.DEBUG) console.error(`  [console] ${m.text().slice(0, 200)}`);
  });
  await page.goto(`${URL_BASE}/?lang=en`);
  await signIn(page);
  await waitState(page, 'ready');
  // Connection status transitions with their wall-clock time, recorded inside the page.
  await page.evaluate(() => {
    const read = () => document.querySelector('[data-testid=connection-status]')?.dataset.status ?? 'absent';
    window.__conn = [{ s: read(), t: Date.now() }];
    new MutationObserver(() => {
      const s = read();
      if (window.__conn[window.__conn.length - 1].s !== s) window.__conn.push({ s, t: Date.now() });
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
  const held = await offerAndAnswer(page, '13800000001');
  await page.getByTestId('hold').click();
  await waitState(page, 'held');
  await page.locator('[data-testid=hold-item]').first().waitFor();
  const talking = await offerAndAnswer(page, '13800000002');
  return { context, page, errors, held, talking };
}

/** Time (epoch ms) the fault first hit a request, from `/sim/requests`; null if not (yet). */
async function hitTime(kind) {
  const log = await ctl('requests');
  const hit = log.find((r) => r.fault === kind);
  return hit ? hit.ts : null;
}

// ------------------------------------------------------------------ scenarios

const transport = (extra = {}) => ({ transport: true, ...extra });

const SCENARIOS = [
  {
    name: 'drop (poll, no answer)',
    fault: { kind: 'drop', match: 'agentevent' },
    ...transport(),
  },
  {
    name: 'drop x5 (poll, 8-15 s outage)',
    fault: { kind: 'drop', match: 'agentevent', count: 5 },
    timeoutMs: 45_000,
    ...transport(),
  },
  {
    name: 'drop (hold processed, answer lost)',
    fault: { kind: 'drop', match: '/hold', forward: true },
    trigger: async (ctx) => ctx.page.getByTestId('hold').click(),
    expected: 'error shown, resync: both calls held = sim',
  },
  {
    name: 'status 502 x3 (poll)',
    fault: { kind: 'status', status: 502, match: 'agentevent', count: 3 },
    ...transport(),
  },
  {
    name: 'status 504 after 3 s (poll)',
    fault: { kind: 'status', status: 504, delayMs: 3000, match: 'agentevent' },
    ...transport(),
  },
  {
    name: 'status 500 (hold command)',
    fault: { kind: 'status', status: 500, match: '/hold' },
    trigger: async (ctx) => ctx.page.getByTestId('hold').click(),
    expected: 'error shown, call still talking = sim',
  },
  {
    name: 'slow 3 s (poll) + customer hangs up',
    fault: { kind: 'slow', delayMs: 3000, match: 'agentevent' },
    afterHit: true,
    trigger: async (ctx) => ctl('customer-hangup', { callid: ctx.talking }),
    expected: 'stays online; held call kept, state held = sim',
  },
  {
    name: 'malformed (poll, HTML 200)',
    fault: { kind: 'malformed', match: 'agentevent' },
    ...transport(),
  },
  {
    name: 'truncated (poll, empty answer)',
    fault: { kind: 'truncated', match: 'agentevent' },
    ...transport(),
  },
  {
    name: 'truncated (poll with event) + hang-up',
    fault: { kind: 'truncated', match: 'agentevent' },
    afterHit: true,
    trigger: async (ctx) => ctl('customer-hangup', { callid: ctx.talking }),
    ...transport({ expected: 'reconnecting -> online; lost event resynced: held call kept = sim' }),
  },
  {
    name: 'duplicateEvent (AgentEvent_Hold)',
    fault: { kind: 'duplicateEvent', eventType: 'AgentEvent_Hold' },
    trigger: async (ctx) => ctx.page.getByTestId('hold').click(),
    expected: 'duplicate ignored: 2 held (no phantom) = sim',
  },
  {
    name: 'unknownCallEvent (Call_Release)',
    fault: { kind: 'unknownCallEvent', agent: '101' },
    expected: 'ignored: 1 held + talking = sim',
  },
  {
    name: 'unknownCallEvent (Hold)',
    fault: { kind: 'unknownCallEvent', agent: '101', eventType: 'AgentEvent_Hold' },
    expected: 'ignored: 1 held + talking = sim',
  },
  {
    name: 'expireGuid',
    fault: { kind: 'expireGuid', agent: '101' },
    signOutLike: true,
    expected: 'signed-out with reason, or recovered in place with both calls',
  },
  {
    name: 'signOut (gateway forcelogout)',
    fault: { kind: 'signOut', agent: '101' },
    signOutLike: true,
    expected: 'signed-out with reason; no calls either side',
  },
  {
    name: 'restart (gateway process)',
    fault: { kind: 'restart' },
    signOutLike: true,
    expected: 'signed-out with reason; no calls either side',
  },
];

/** Runs one scenario; returns table rows (expireGuid adds its force-sign-in follow-up). */
async function run(browser, sc) {
  const row = { name: sc.name, expected: sc.expected, observed: '', pass: false, ms: null };
  if (!row.expected) {
    row.expected = sc.transport ? 'reconnecting -> online; held + state = sim' : 'held + state = sim';
  }
  const rows = [row];
  let ctx;
  try {
    ctx = await prepare(browser);
  } catch (e) {
    row.observed = `setup failed: ${e.message.split('\n')[0]}`;
    return rows;
  }
  const { page, errors } = ctx;
  try {
    const armedAt = Date.now();
    await ctl('fault', sc.fault);
    let hitAt = null;
    if (sc.afterHit) {
      // The fault is on the poll now waiting: the customer hangs up while it waits.
      const until = Date.now() + 10_000;
      while (hitAt === null && Date.now() < until) {
        hitAt = await hitTime(sc.fault.kind);
        if (hitAt === null) await sleep(20);
      }
    }
    if (sc.trigger) await sc.trigger(ctx);
    let last;
    let okAt = null;
    const deadline = Date.now() + (sc.timeoutMs ?? SETTLE_TIMEOUT_MS);
    while (Date.now() < deadline) {
      hitAt ??= await hitTime(sc.fault.kind);
      last = await observe(page);
      const sawReconnecting = last.dom.connLog.some((c) => c.s === 'reconnecting' && c.t >= armedAt);
      let ok;
      if (sc.signOutLike) {
        const signedOutWithReason = last.dom.state === 'signed-out' && !!last.dom.error;
        const recovered = consistent(last) && last.dom.conn === 'online' && last.sim.signedIn;
        // Recovered in place is judged once a request has met the fault (before that the
        // toolbar cannot know); a signed-out reason can only come from the fault.
        ok = (signedOutWithReason && (sc.fault.kind === 'expireGuid' || !last.sim.signedIn)) ||
          (hitAt !== null && recovered);
      } else {
        ok = hitAt !== null && consistent(last) && last.dom.conn === 'online' && (!sc.transport || sawReconnecting);
        // A command fault must also have shown the agent something.
        if (ok && sc.trigger && sc.fault.match === '/hold' && sc.fault.kind !== 'duplicateEvent') ok = !!last.dom.error;
      }
      if (ok && errors.length === 0) {
        okAt = Date.now();
        // Stable for a moment (no late flip back).
        await sleep(600);
        const again = await observe(page);
        if (sc.signOutLike || (consistent(again) && again.dom.conn === 'online')) {
          last = again;
          break;
        }
        okAt = null;
      }
      if (errors.length) break;
      await sleep(50);
    }
    const conns = last.dom.connLog.filter((c) => c.t >= armedAt).map((c) => c.s);
    row.observed = `${describe(last)}; conn ${['…', ...conns].join('>')}${hitAt ? '' : '; fault never hit'}`;
    if (errors.length) row.observed += `; ERRORS: ${errors.join(' | ')}`;
    row.pass = okAt !== null && errors.length === 0;
    row.ms = okAt !== null ? Math.max(0, Math.round(okAt - (hitAt ?? armedAt))) : null;

    // expireGuid: is the held call still there after the toolbar's own recovery path?
    if (sc.fault.kind === 'expireGuid' && last.dom.state === 'signed-out') {
      const follow = { name: 'expireGuid -> sign in again', expected: '100-002 -> force sign-in; both calls back = sim', observed: '', pass: false, ms: null };
      rows.push(follow);
      const t0 = Date.now();
      await signIn(page);
      const force = page.getByTestId('signin-force');
      const steps = [];
      try {
        await force.waitFor({ timeout: 5000 });
        steps.push('force offered');
        await force.click();
      } catch {
        steps.push('no force option');
      }
      let o;
      const end = Date.now() + 15_000;
      while (Date.now() < end) {
        o = await observe(page);
        if (o.dom.state !== 'signed-out' && consistent(o) && o.dom.conn === 'online' && o.sim.held.length === 1) break;
        await sleep(100);
      }
      follow.pass = o.dom.state !== 'signed-out' && consistent(o) && o.sim.held.length === 1 && errors.length === 0;
      follow.ms = follow.pass ? Date.now() - t0 : null;
      follow.observed = `${steps.join(', ')}; ${describe(o)}${errors.length ? `; ERRORS: ${errors.join(' | ')}` : ''}`;
    }
  } catch (e) {
    row.observed = `${row.observed} harness error: ${e.message.split('\n')[0]}`;
  } finally {
    await ctl('fault', undefined, 'DELETE').catch(() => {});
    await ctx.context.close();
  }
  return rows;
}

function printTable(rows) {
  const head = ['scenario', 'expected', 'observed', 'result', 'recover ms'];
  const cells = rows.map((r) => [r.name, r.expected, r.observed, r.pass ? 'pass' : 'FAIL', r.ms === null ? '-' : String(r.ms)]);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const c of cells) console.log(`| ${c.map((x) => x.replace(/\|/g, '/')).join(' | ')} |`);
  const passed = rows.filter((r) => r.pass).length;
  console.log(`\n${passed}/${rows.length} pass`);
}

// ------------------------------------------------------------------ main

const sim = spawn(SIM_BIN, ['--port', String(port), '--static-dir', DIST], { stdio: ['ignore', 'ignore', 'pipe'] });
let simErr = '';
sim.stderr.on('data', (d) => (simErr += d));
let browser;
try {
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    try {
      up = (await fetch(`${URL_BASE}/sim/state`)).ok;
    } catch {
      await sleep(50);
    }
  }
  if (!up) throw new Error(`simulator did not start: ${simErr}`);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  console.log(`== Fault table (Huawei dialect, ${SIM_BIN}, dist ${DIST}, pollWaitMs ${POLL_WAIT_MS}) ==`);
  console.log('Situation before each fault: signed in, one call answered and held, a second call talking.\n');
  const rows = [];
  for (const sc of SCENARIOS) {
    if (ONLY && !ONLY.some((o) => sc.name.startsWith(o))) continue;
    const got = await run(browser, sc);
    for (const r of got) console.error(`${r.pass ? 'pass' : 'FAIL'}  ${r.name}  (${r.ms ?? '-'} ms)  ${r.observed}`);
    rows.push(...got);
  }
  console.log('');
  printTable(rows);
} catch (e) {
  console.log(`fault table could not run: ${e.message}`);
} finally {
  await browser?.close();
  sim.kill('SIGKILL');
}
process.exit(0);
