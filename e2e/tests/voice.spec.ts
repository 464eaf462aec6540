// Issue 16: the browser phone against real SIP components. The rig (rig/start.sh: Kamailio over
// WebSocket, rtpengine bridging WebRTC to RTP, baresip as the customer playing 440 Hz and
// recording what it hears) runs for this file; Chromium's fake microphone plays 660 Hz. The
// toolbar is the release voice build, served by the simulator, with agentbar.json naming the
// rig's WebSocket. Nothing here is mocked: the tones are measured at both ends.
import { test, expect, Sim, freePort, bridgeProcess } from './fixtures';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import readline from 'node:readline';
// @ts-ignore: a plain ES module of the rig, no types
import { Baresip } from '../../rig/baresip.mjs';

const ROOT = resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

test.describe.configure({ mode: 'serial' });
// Rig start, two browsers and several calls: more than the default minute on 2 cores.
test.setTimeout(120_000);

let rig: ChildProcess;
let info: any;
let sim: Sim;
let browser: Browser;
let customer: any;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  rig = spawn(join(ROOT, 'rig', 'start.sh'), ['--stdin-eof'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((ok, fail) => {
    readline.createInterface({ input: rig.stdout! }).once('line', ok);
    rig.once('exit', (c) => fail(new Error(`rig exited (${c}) before it was ready`)));
  });
  info = JSON.parse(line);
  sim = new Sim(await freePort());
  await sim.start();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', ...info.chromium_flags],
  });
  customer = await Baresip.connect(info.baresip.customer.ctrl_port);
});

test.afterAll(async () => {
  customer?.close();
  await browser?.close();
  await sim?.stop();
  if (rig && rig.exitCode === null) {
    const gone = new Promise((r) => rig.once('exit', r));
    rig.stdin!.end();
    rig.kill('SIGTERM');
    await gone;
  }
});

async function phonePage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => {
    throw new Error(`page error: ${e.message}\n${e.stack}`);
  });
  await page.route('**/agentbar.json', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ gateways: [''], softphone: { ws: info.ws_url, domain: info.domain } }),
    }),
  );
  await page.goto(`${sim.url}/?lang=en`);
  await expect(page.getByTestId('voice-panel')).toBeVisible();
  return page;
}

async function register(page: Page) {
  await page.getByTestId('voice-user').fill('1001');
  await page.getByTestId('voice-password').fill(info.users['1001'].password);
  await page.getByTestId('voice-connect').click();
  await expect(page.getByTestId('voice-status')).toHaveAttribute('data-state', 'registered');
}

/** The dominant frequency of what the page plays from the far end (AnalyserNode, ~0.5 s). */
async function heardHz(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const el = document.querySelector('[data-testid=voice-remote-audio]') as HTMLAudioElement;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    ctx.createMediaStreamSource(el.srcObject as MediaStream).connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const sum = new Float32Array(analyser.frequencyBinCount);
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 60));
      analyser.getFloatFrequencyData(bins);
      bins.forEach((v, k) => (sum[k] += Math.pow(10, v / 10)));
    }
    let peak = 1;
    for (let k = 1; k < sum.length; k++) if (sum[k] > sum[peak]) peak = k;
    const hz = (peak * ctx.sampleRate) / analyser.fftSize;
    await ctx.close();
    return hz;
  });
}

const packets = async (page: Page, dir: 'in' | 'out') =>
  Number(await page.getByTestId('voice-call').getAttribute(`data-packets-${dir}`));

/** Packets over one more second of stats (the call row refreshes them every second). */
async function flow(page: Page): Promise<{ in: number; out: number }> {
  const [i0, o0] = [await packets(page, 'in'), await packets(page, 'out')];
  const t0 = Date.now();
  await expect.poll(async () => (await packets(page, 'in')) !== i0 || Date.now() - t0 > 2100, { timeout: 5000 }).toBe(true);
  const t1 = Date.now();
  await expect.poll(async () => Date.now() - t1 > 1100 && (await packets(page, 'in')) >= 0, { timeout: 5000 }).toBe(true);
  return { in: (await packets(page, 'in')) - i0, out: (await packets(page, 'out')) - o0 };
}

function newestRecording(after: Set<string>): string | undefined {
  const dir = info.baresip.customer.recordings;
  const files = readdirSync(dir).filter((f) => f.endsWith('-dec.wav')).map((f) => join(dir, f)).filter((f) => !after.has(f));
  files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return files[0];
}

function recordings(): Set<string> {
  const dir = info.baresip.customer.recordings;
  try {
    return new Set(readdirSync(dir).map((f) => join(dir, f)));
  } catch {
    return new Set();
  }
}

test('the customer calls the agent: two-way audio at the right tones, DTMF, hang-up by the agent', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await phonePage(context);
  await register(page);
  const before = recordings();
  customer.mark();
  await customer.command('dial', 'sip:1001@agentbar.test');
  const call = page.getByTestId('voice-call');
  await expect(call).toHaveAttribute('data-phase', 'ringing');
  await expect(page.getByTestId('voice-remote')).toHaveText('1002');
  // The ring assurance covers the browser phone: the page title flashes.
  await expect.poll(() => page.title(), { timeout: 5000 }).toContain('☎');
  await page.getByTestId('voice-answer').click();
  await customer.waitEvent('CALL_ESTABLISHED', { timeout: 10000 });
  await expect(call).toHaveAttribute('data-phase', 'talking');
  await expect(call).toHaveAttribute('data-first-audio-ms', /^\d+$/);
  const firstAudio = Number(await call.getAttribute('data-first-audio-ms'));
  const hz = await heardHz(page);
  expect(Math.abs(hz - 440), `the agent hears ${hz} Hz`).toBeLessThan(15);
  await page.getByTestId('voice-dtmf-5').click();
  const digit = await customer.waitEvent('CALL_DTMF_START', { timeout: 5000 });
  expect(digit.param).toBe('5');
  const talking = await flow(page);
  expect(talking.in).toBeGreaterThan(30);
  expect(talking.out).toBeGreaterThan(30);
  await expect(page.getByTestId('voice-problem')).toHaveCount(0);
  await page.getByTestId('voice-hangup').click();
  await customer.waitEvent('CALL_CLOSED', { timeout: 5000 });
  await expect(call).toHaveCount(0);
  const wav = newestRecording(before);
  expect(wav, 'baresip recorded the call').toBeTruthy();
  const tone = JSON.parse(execFileSync('python3', [join(ROOT, 'rig', 'tones.py'), wav!, '660']).toString());
  console.log(`voice: answer → first audio ${firstAudio} ms (click → remote track unmute); agent heard ${hz.toFixed(0)} Hz; customer heard ${JSON.stringify(tone.peak_hz ?? tone)}`);
  await context.close();
});

test('the agent calls the customer: hold silences both directions, resume brings audio back, the customer hangs up', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await phonePage(context);
  await register(page);
  customer.mark();
  await page.getByTestId('voice-dial-number').fill('1002');
  await page.getByTestId('voice-dial').click();
  await customer.waitEvent('CALL_INCOMING', { timeout: 10000 });
  await customer.command('accept');
  const call = page.getByTestId('voice-call');
  await expect(call).toHaveAttribute('data-phase', 'talking');
  await expect.poll(() => packets(page, 'in'), { timeout: 5000 }).toBeGreaterThan(0);
  expect(Math.abs((await heardHz(page)) - 440)).toBeLessThan(15);

  await page.getByTestId('voice-hold').click();
  await expect(call).toHaveAttribute('data-held', 'true');
  await flow(page); // let the last packets in flight land
  const held = await flow(page);
  expect(held.in, 'nothing arrives while held').toBeLessThanOrEqual(2);
  expect(held.out, 'nothing is sent while held').toBeLessThanOrEqual(2);
  // Held on purpose: the watchdog says nothing.
  await expect(page.getByTestId('voice-problem')).toHaveCount(0);

  await page.getByTestId('voice-resume').click();
  await expect(call).toHaveAttribute('data-held', 'false');
  await flow(page);
  const resumed = await flow(page);
  expect(resumed.in).toBeGreaterThan(30);
  expect(resumed.out).toBeGreaterThan(30);

  await page.getByTestId('voice-mute').click();
  await expect(page.getByTestId('voice-muted')).toBeVisible();
  await page.getByTestId('voice-unmute').click();
  await expect(page.getByTestId('voice-muted')).toHaveCount(0);

  await customer.command('hangup');
  await expect(call).toHaveCount(0);
  await expect(page.getByTestId('voice-notice')).toHaveAttribute('data-msg', 'VoiceCallEnded');
  await context.close();
});

test('a WebSocket killed mid-call: the agent is told, the extension registers again, the call goes on', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  // Proxy the page's SIP WebSocket to Kamailio, so the test can cut it like a network drop.
  const sockets: any[] = [];
  await page.routeWebSocket((url) => url.port === String(info.ws_port), (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  await page.route('**/agentbar.json', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ gateways: [''], softphone: { ws: info.ws_url, domain: info.domain } }),
    }),
  );
  await page.goto(`${sim.url}/?lang=en`);
  await register(page);
  customer.mark();
  await customer.command('dial', 'sip:1001@agentbar.test');
  await page.getByTestId('voice-answer').click();
  await customer.waitEvent('CALL_ESTABLISHED', { timeout: 10000 });
  const call = page.getByTestId('voice-call');
  await expect(call).toHaveAttribute('data-phase', 'talking');

  expect(sockets.length).toBeGreaterThan(0);
  await sockets[sockets.length - 1].close({ code: 1006 });
  await expect(page.getByTestId('voice-notice')).toHaveAttribute('data-msg', 'VoiceReconnecting');
  await expect(page.getByTestId('voice-status')).toHaveAttribute('data-state', 'registered', { timeout: 15000 });
  const after = await flow(page);
  expect(after.in, 'the audio did not stop with the signalling').toBeGreaterThan(30);
  await page.getByTestId('voice-hangup').click();
  await customer.waitEvent('CALL_CLOSED', { timeout: 5000 });
  await expect(call).toHaveCount(0);
  await context.close();
});

test('a microphone the browser refuses gives a clear message, not a silent call', async () => {
  // Chromium without the fake-UI flag denies the prompt in headless mode.
  const denying = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream'] });
  try {
    const context = await denying.newContext({ bypassCSP: true });
    const page = await phonePage(context);
    await register(page);
    customer.mark();
    await customer.command('dial', 'sip:1001@agentbar.test');
    await expect(page.getByTestId('voice-call')).toHaveAttribute('data-phase', 'ringing');
    await page.getByTestId('voice-answer').click();
    await expect(page.getByTestId('voice-notice')).toHaveAttribute('data-msg', 'VoiceMicDenied');
    await expect(page.getByTestId('voice-notice')).toContainText('microphone');
    // Not answered into silence: it still rings, and the agent can reject it.
    await expect(page.getByTestId('voice-call')).toHaveAttribute('data-phase', 'ringing');
    await page.getByTestId('voice-reject').click();
    await customer.waitEvent('CALL_CLOSED', { timeout: 5000 });
    await context.close();
  } finally {
    await denying.close();
  }
});

test('CCC: the SIP account comes from GetLoginDetails through the bridge at sign-in, again after a reload; sign-out ends the registration', async () => {
  // The simulator's GetLoginDetails names the rig as the SIP server and 1001's password as the
  // signature; the toolbar asks for it (and the TURN list) at CCC sign-in, never the agent.
  await sim.control('config', { cccSipServerUrl: info.ws_url, cccTurnServers: [] });
  await sim.control('ccc/user', { userId: 'agent101@ccc-demo', extension: '1001', signature2: info.users['1001'].password });
  const bridge = bridgeProcess(await freePort(), sim);
  await bridge.start();
  const context = await browser.newContext({ bypassCSP: true });
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => {
      throw new Error(`page error: ${e.message}`);
    });
    await page.route('**/agentbar.json', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ gateways: [''], vendor: 'aliyun', softphone: { from: 'ccc', domain: info.domain } }),
      }),
    );
    await page.goto(`${bridge.url}/?lang=en`);
    await page.getByTestId('signin-agent').fill('agent101');
    await page.getByTestId('signin-password').fill('agent123');
    await page.getByTestId('signin-submit').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    await expect(page.getByTestId('voice-status')).toHaveAttribute('data-state', 'registered');
    // Nothing to type: the account came from CCC.
    await expect(page.getByTestId('voice-password')).toHaveCount(0);

    customer.mark();
    await customer.command('dial', `sip:1001@${info.domain}`);
    const call = page.getByTestId('voice-call');
    await expect(call).toHaveAttribute('data-phase', 'ringing');
    await page.getByTestId('voice-answer').click();
    await customer.waitEvent('CALL_ESTABLISHED', { timeout: 10000 });
    await expect(call).toHaveAttribute('data-phase', 'talking');
    const hz = await heardHz(page);
    expect(Math.abs(hz - 440), `the agent hears ${hz} Hz`).toBeLessThan(15);
    await page.getByTestId('voice-hangup').click();
    await customer.waitEvent('CALL_CLOSED', { timeout: 5000 });

    const actions = ((await sim.requests()) as any[]).map((r) => r.action).filter(Boolean);
    for (const a of ['GetLoginDetails', 'GetTurnServerList', 'GetTurnCredentials']) expect(actions).toContain(a);
    expect(actions.indexOf('GetLoginDetails')).toBeLessThan(actions.indexOf('SignInGroup'));

    // A reload keeps the CCC session (the bridge's cookie) and registers the phone again.
    await page.reload();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    await expect(page.getByTestId('voice-status')).toHaveAttribute('data-state', 'registered');
    customer.mark();
    await customer.command('dial', `sip:1001@${info.domain}`);
    await expect(call).toHaveAttribute('data-phase', 'ringing');
    await page.getByTestId('voice-reject').click();
    await customer.waitEvent('CALL_CLOSED', { timeout: 5000 });

    await page.getByTestId('signout').click();
    await expect(page.getByTestId('signin-submit')).toBeVisible();
    await expect(page.getByTestId('voice-status')).toHaveAttribute('data-state', 'off');
  } finally {
    await context.close();
    await bridge.stop();
    await sim.control('reset', {});
  }
});
