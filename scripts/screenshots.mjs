// Screenshots of the toolbar in each state, for docs/ and the README. Run `./dev.sh screenshots`
// (it builds dist/ and the simulator first). Headless Debian Chromium, the simulator serving dist/.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs', 'screenshots');
const SIM_BIN = process.env.SIM_BIN ?? join(ROOT, 'target', 'debug', 'agentbar-sim');
mkdirSync(OUT, { recursive: true });

const freePort = () =>
  new Promise((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

async function up(url) {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* starting */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not start`);
}

const simPort = await freePort();
const crmPort = await freePort();
const sim = spawn(SIM_BIN, ['--port', String(simPort), '--static-dir', join(ROOT, 'dist')], { stdio: 'ignore' });
const crm = spawn('node', [join(ROOT, 'scripts', 'serve-static.mjs'), join(ROOT, 'examples', 'crm'), String(crmPort)], { stdio: 'ignore' });
const base = `http://127.0.0.1:${simPort}`;
const post = (path, body) => fetch(`${base}/sim/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  await up(`${base}/sim/state`);
  const shoot = async (page, name) => {
    await page.screenshot({ path: join(OUT, `${name}.png`) });
    console.log(`docs/screenshots/${name}.png`);
  };
  async function session({ width = 760, height = 420, scheme = 'light', lang = 'en' } = {}) {
    await post('reset', {});
    const ctx = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
    await ctx.grantPermissions(['notifications']);
    const page = await ctx.newPage();
    await page.goto(`${base}/?lang=${lang}`);
    await page.getByTestId('signin-form').waitFor();
    return page;
  }
  async function signIn(page) {
    await page.getByTestId('signin-agent').fill('101');
    await page.getByTestId('signin-password').fill('agent123');
    await page.getByTestId('signin-phone').fill('70001');
    await page.getByTestId('signin-submit').click();
    await page.locator('[data-testid=agent-state][data-state=ready]').waitFor();
  }

  let page = await session();
  await shoot(page, 'signed-out');
  await signIn(page);
  await shoot(page, 'ready');
  await post('scenario', { consultTarget: 'ring' });
  await post('offer', { agent: '101', caller: '013800138000', called: '4001', skill: 2 });
  await page.getByTestId('ringing-banner').waitFor();
  await shoot(page, 'ringing');
  await page.getByTestId('reject').click();
  await page.getByTestId('reject-mode-requeue').check();
  await shoot(page, 'reject-dialog');
  await page.getByTestId('reject-cancel').click();
  await page.getByTestId('answer').click();
  await page.getByTestId('call-panel').waitFor();
  await shoot(page, 'talking');
  await page.getByTestId('hold').click();
  await page.getByTestId('hold-item').waitFor();
  await post('offer', { agent: '101', caller: '13911112222', called: '4001', skill: 1 });
  await page.getByTestId('answer').click();
  await page.locator('[data-testid=agent-state][data-state=talking]').waitFor();
  await shoot(page, 'hold-list');
  await page.getByTestId('transfer-open').click();
  await page.getByTestId('transfer-devicetype').selectOption('2');
  await page.getByTestId('transfer-option').first().waitFor();
  await page.setViewportSize({ width: 760, height: 820 });
  await shoot(page, 'transfer-dialog');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 760, height: 420 });
  await page.getByTestId('consult-open').click();
  await page.getByTestId('consult-target').fill('102');
  await page.getByTestId('consult-start').click();
  await page.getByTestId('consult-bar').waitFor();
  await shoot(page, 'consult');
  await page.getByTestId('consult-cancel').click();
  await page.getByTestId('consult-bar').waitFor({ state: 'detached' });
  await page.getByTestId('hangup').click();
  await page.getByTestId('cdr-view').waitFor();
  await shoot(page, 'call-details');
  await page.context().close();

  page = await session({ width: 360, height: 640, scheme: 'dark', lang: 'zh-CN' });
  await signIn(page);
  await post('offer', { agent: '101', caller: '013800138000', called: '4001', skill: 2 });
  await page.getByTestId('ringing-banner').waitFor();
  await shoot(page, 'ringing-dark-zh-360px');
  await page.context().close();

  const ctx = await browser.newContext({ viewport: { width: 1180, height: 720 } });
  page = await ctx.newPage();
  await post('reset', {});
  await page.goto(`http://127.0.0.1:${crmPort}/?toolbar=${encodeURIComponent(base + '/?lang=en')}`);
  await page.locator('[data-testid=host-status][data-state=ready]').waitFor();
  const bar = page.frameLocator('agent-bar iframe');
  await bar.getByTestId('signin-agent').fill('101');
  await bar.getByTestId('signin-password').fill('agent123');
  await bar.getByTestId('signin-phone').fill('70001');
  await bar.getByTestId('signin-submit').click();
  await bar.locator('[data-testid=agent-state][data-state=ready]').waitFor();
  await post('offer', { agent: '101', caller: '13800000001', called: '4001', skill: 2 });
  await page.getByTestId('customer-card').waitFor();
  await page.screenshot({ path: join(ROOT, 'docs', 'crm.png') });
  console.log('docs/crm.png');
} finally {
  await browser.close();
  sim.kill('SIGKILL');
  crm.kill('SIGKILL');
}
