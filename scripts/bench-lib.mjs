// Helpers for scripts/bench.mjs: the simulator process, the browser, statistics, and the init
// script that instruments the page (timers, clicks, the wasm memory). Measurements only: nothing
// here fails a run.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--enable-precise-memory-info', '--js-flags=--expose-gc',
];

export const launch = () =>
  chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Calls the simulator's `/sim/` control API at `base` (GET without a body, POST with one). */
export async function simControl(base, path, body, method = body === undefined ? 'GET' : 'POST') {
  const r = await fetch(`${base}/sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`/sim/${path}: HTTP ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** One simulator process serving dist/ same-origin, on a free port. */
export class Sim {
  constructor(bin, dist) {
    this.bin = bin;
    this.dist = dist;
    this.output = '';
  }

  async start() {
    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}`;
    this.proc = spawn(this.bin, ['--port', String(this.port), '--static-dir', this.dist], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout.on('data', (d) => (this.output = (this.output + d).slice(-4000)));
    this.proc.stderr.on('data', (d) => (this.output = (this.output + d).slice(-4000)));
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${this.url}/sim/state`)).ok) return this;
      } catch { /* starting */ }
      await sleep(50);
    }
    throw new Error(`simulator did not start:\n${this.output}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }

  control(path, body, method) {
    return simControl(this.url, path, body, method);
  }

  offer(i) {
    return this.control('offer', { agent: '101', caller: `1380000${String(i % 10000).padStart(4, '0')}`, called: '4001' })
      .then((r) => String(r.callid));
  }
}

// ---- statistics ----

/** Nearest-rank percentile. */
export const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const round = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? x : Number(x.toFixed(d)));
export const summary = (xs) => ({
  n: xs.length,
  p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), p99: round(pct(xs, 99)),
  min: round(Math.min(...xs)), max: round(Math.max(...xs)), mean: round(mean(xs)),
});
export const f1 = (x) => (typeof x === 'number' ? x.toFixed(1) : String(x));
export const missed = (ok) => (ok ? '' : '  MISSED');
export const mb = (bytes) => `${(bytes / 1048576).toFixed(2)} MiB`;

// ---- the page ----

/**
 * Runs before any page script. Counts live timers (setTimeout until it fires or is cleared,
 * setInterval until cleared), keeps the last click's wall-clock time (capturing listener on
 * window, so it runs before the app's own handlers), and keeps the wasm instance that Trunk's
 * loader passes in the `TrunkApplicationStarted` event (its exported `memory`). Nothing grows
 * with the number of calls: only the last click is kept.
 */
export const INIT_SCRIPT = `(() => {
  const live = new Map();
  const created = { timeout: 0, interval: 0 };
  const st = window.setTimeout, si = window.setInterval, ct = window.clearTimeout, ci = window.clearInterval;
  window.setTimeout = function (fn, ms, ...args) {
    if (typeof fn !== 'function') return st.call(window, fn, ms, ...args);
    let id;
    const run = function () { live.delete(id); return fn.apply(this, arguments); };
    id = st.call(window, run, ms, ...args);
    live.set(id, ms | 0);
    created.timeout++;
    return id;
  };
  window.setInterval = function (fn, ms, ...args) {
    const id = si.call(window, fn, ms, ...args);
    if (typeof fn === 'function') { live.set(id, 'interval'); created.interval++; }
    return id;
  };
  window.clearTimeout = function (id) { live.delete(id); return ct.call(window, id); };
  window.clearInterval = function (id) { live.delete(id); return ci.call(window, id); };
  window.__abTimers = () => {
    let timeouts = 0, intervals = 0;
    const timeoutDelays = [];
    for (const k of live.values()) k === 'interval' ? intervals++ : (timeouts++, timeoutDelays.push(k));
    return { live: live.size, timeouts, intervals, timeoutDelays, createdTimeouts: created.timeout, createdIntervals: created.interval };
  };
  window.__abLastClick = null;
  addEventListener('click', (e) => {
    const el = e.target && e.target.closest ? e.target.closest('[data-testid]') : null;
    window.__abLastClick = { id: el ? el.dataset.testid : '', at: performance.timeOrigin + performance.now() };
  }, true);
  window.__abWasm = null;
  window.__abStartedAt = null;
  addEventListener('TrunkApplicationStarted', (e) => {
    window.__abWasm = e.detail && e.detail.wasm;
    window.__abStartedAt = performance.now();
  });
})();`;

/**
 * Cold-start probe: the first moment (performance.now(), i.e. ms since navigation start) at which
 * the sign-in button is in the DOM and enabled and Trunk's loader has reported the wasm app
 * started (`TrunkApplicationStarted`, dispatched after the wasm start function mounted the app).
 */
export const COLD_START_SCRIPT = `(() => {
  window.__abFormAt = null;
  window.__abInteractiveAt = null;
  const check = () => {
    if (window.__abInteractiveAt !== null) return;
    const b = document.querySelector('[data-testid=signin-submit]');
    if (b && !b.disabled && window.__abFormAt === null) window.__abFormAt = performance.now();
    if (window.__abFormAt !== null && window.__abStartedAt !== null) {
      window.__abInteractiveAt = performance.now();
      obs.disconnect();
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['disabled'] });
  addEventListener('TrunkApplicationStarted', () => queueMicrotask(check));
})();`;

export async function signIn(page) {
  await page.getByTestId('signin-agent').fill('101');
  await page.getByTestId('signin-password').fill('agent123');
  await page.getByTestId('signin-phone').fill('70001');
  await page.getByTestId('signin-submit').click();
  await page.locator('[data-testid=agent-state][data-state=ready]').waitFor();
}

/** Forced GC (twice, with a pause for finalizers), then the page's memory figures. */
export async function memory(page) {
  await page.evaluate(async () => {
    for (let i = 0; i < 3; i++) {
      window.gc();
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  return page.evaluate(() => ({
    usedJSHeapSize: performance.memory.usedJSHeapSize,
    totalJSHeapSize: performance.memory.totalJSHeapSize,
    wasmMemoryBytes: window.__abWasm && window.__abWasm.memory ? window.__abWasm.memory.buffer.byteLength : null,
    domNodes: document.querySelectorAll('*').length,
    resourceEntries: performance.getEntriesByType('resource').length,
    timers: window.__abTimers(),
    measureUserAgentSpecificMemory: typeof performance.measureUserAgentSpecificMemory === 'function' && self.crossOriginIsolated,
  }));
}

/** Event listeners via CDP: on window, on document itself, and on every node of the document. */
export async function listenerCounts(cdp) {
  const on = async (expression, depth) => {
    const { result } = await cdp.send('Runtime.evaluate', { expression });
    const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId, depth, pierce: true });
    await cdp.send('Runtime.releaseObject', { objectId: result.objectId });
    return listeners;
  };
  const byType = (ls) => {
    const m = {};
    for (const l of ls) m[l.type] = (m[l.type] ?? 0) + 1;
    return m;
  };
  const win = await on('window', 0);
  const doc = await on('document', 0);
  const all = await on('document', -1);
  return { window: win.length, document: doc.length, documentSubtree: all.length, windowByType: byType(win), subtreeByType: byType(all) };
}
