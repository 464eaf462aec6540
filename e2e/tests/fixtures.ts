// Test fixtures: a simulator per test (serving the release build same-origin), and a page
// object for the toolbar that speaks in data-testids.
import { test as base, expect, type Page, type Locator } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const SIM_BIN = process.env.SIM_BIN ?? resolve(ROOT, 'target', 'debug', 'agentbar-sim');
const DIST = process.env.AGENTBAR_DIST ?? resolve(ROOT, 'dist');

const BRIDGE_BIN = process.env.BRIDGE_BIN ?? resolve(ROOT, 'target', 'debug', 'agentbar-bridge');

/** A server child process (bridge, relay, redis…) that is up once `ready()` answers. */
export class ServerProcess {
  proc?: ChildProcess;
  output = '';
  constructor(readonly name: string, readonly bin: string, readonly args: string[], readonly ready: () => Promise<boolean>) {}
  async start() {
    this.proc = spawn(this.bin, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    for (let i = 0; i < 200; i++) {
      try {
        if (await this.ready()) return;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.name} did not start:\n${this.output}`);
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc!.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }
}

/** The CCC bridge in demo mode, signing for the simulator and serving the toolbar same-origin. */
export function bridgeProcess(port: number, sim: Sim) {
  const url = `http://127.0.0.1:${port}`;
  const args = ['--demo', '--port', String(port), '--endpoint', sim.url, '--static-dir', DIST];
  const p = new ServerProcess('bridge', BRIDGE_BIN, args, async () => (await fetch(`${url}/ccc/session`)).status === 401);
  return Object.assign(p, { url });
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/** One simulator process; `restart()` kills it and starts a fresh one on the same port. */
export class Sim {
  proc?: ChildProcess;
  output = '';
  constructor(readonly port: number) {}

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.proc = spawn(SIM_BIN, ['--port', String(this.port), '--static-dir', DIST], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d) => (this.output += d));
    this.proc.stderr!.on('data', (d) => (this.output += d));
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`${this.url}/sim/state`);
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`simulator did not start:\n${this.output}`);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc!.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async control(path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') {
    const r = await fetch(`${this.url}/sim/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`/sim/${path}: HTTP ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Offers an inbound call; resolves to its call id. */
  async offer(call: { agent?: string; caller: string; called?: string; media?: 'voice' | 'chat'; skill?: number }) {
    const res = await this.control('offer', { agent: '101', called: '4001', media: 'voice', ...call });
    return String(res.callid);
  }

  /** Vendor API requests the simulator received, oldest first. */
  async requests(): Promise<Array<{ method: string; path: string; query?: string; body: any }>> {
    return this.control('requests');
  }
}

export class ToolbarPage {
  constructor(readonly page: Page, readonly sim: Sim) {}

  id(testid: string): Locator {
    return this.page.getByTestId(testid);
  }

  async open() {
    await this.page.goto(`${this.sim.url}/?lang=en`);
    await expect(this.id('signin-form')).toBeVisible();
  }

  async signIn(opts: { agent?: string; password?: string; phone?: string; autoIdle?: boolean } = {}) {
    await this.id('signin-agent').fill(opts.agent ?? '101');
    await this.id('signin-password').fill(opts.password ?? 'agent123');
    await this.id('signin-phone').fill(opts.phone ?? '70001');
    if (opts.autoIdle === false) await this.id('signin-autoidle').uncheck();
    await this.id('signin-submit').click();
  }

  async expectState(state: string) {
    await expect(this.id('agent-state')).toHaveAttribute('data-state', state);
  }
}

export const test = base.extend<{ sim: Sim; toolbar: ToolbarPage }>({
  sim: async ({}, use) => {
    const sim = new Sim(await freePort());
    await sim.start();
    await use(sim);
    await sim.stop();
  },
  toolbar: async ({ page, sim, context }, use) => {
    // An agent's browser allows notifications; the readiness check tests the other case.
    await context.grantPermissions(['notifications']);
    page.on('pageerror', (e) => {
      throw new Error(`page error: ${e.message}`);
    });
    await use(new ToolbarPage(page, sim));
  },
});

export { expect };
