// Issue 15, CCC side: the simulator delivers CCC webhooks (UpdateSubscription, PID_Webhook) to
// relay A; the toolbar streams from relay B; both relays share one Redis (a throwaway
// redis-server on a free loopback port, started here). Real processes: simulator, bridge,
// redis-server, two agentbar-relay.
import { test as base, expect, freePort, ServerProcess, bridgeProcess, type Sim } from './fixtures';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const RELAY_BIN = process.env.RELAY_BIN ?? resolve(ROOT, 'target', 'debug', 'agentbar-relay');
// The relay's public demo webhook token (relay/src/config.rs DEMO_WEBHOOK_TOKEN).
const WEBHOOK_TOKEN = 'agentbar-relay-demo-webhook';

function redis(port: number) {
  const dir = mkdtempSync(join(tmpdir(), 'agentbar-redis-'));
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir];
  return new ServerProcess('redis-server', 'redis-server', args, async () => {
    // PING in RESP over a plain socket.
    const net = await import('node:net');
    return new Promise<boolean>((ok) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        ok(d.toString().startsWith('+PONG'));
        s.destroy();
      });
      s.on('error', () => ok(false));
    });
  });
}

function relay(port: number, redisUrl: string, bridgeUrl: string) {
  const url = `http://127.0.0.1:${port}`;
  const args = ['--listen', `127.0.0.1:${port}`, '--redis', redisUrl, '--bridge', bridgeUrl, '--origin', bridgeUrl, '--public-url', url, '--demo'];
  const p = new ServerProcess(`relay :${port}`, RELAY_BIN, args, async () => (await fetch(`${url}/relay/health`)).ok);
  return Object.assign(p, { url, stats: async () => (await fetch(`${url}/relay/stats`)).json() });
}

/** A V3-signed (ACS3-HMAC-SHA256) CCC request to the simulator, as the SDK sends it: what an
 * administrator's UpdateSubscription would be (the bridge does not allow that action). */
async function cccAdmin(sim: Sim, action: string, params: Record<string, string>) {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = Object.entries({ InstanceId: 'ccc-demo', ...params })
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const sha = (b: string) => createHash('sha256').update(b).digest('hex');
  const headers: Record<string, string> = {
    host: sim.url.replace('http://', ''),
    'x-acs-action': action,
    'x-acs-version': '2020-07-01',
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': `e2e-${Date.now()}-${Math.random()}`,
    'x-acs-content-sha256': sha(''),
    accept: 'application/json',
  };
  const names = Object.keys(headers).sort();
  const canonical = `POST\n/\n${query}\n${names.map((k) => `${k}:${headers[k].trim()}\n`).join('')}\n${names.join(';')}\n${sha('')}`;
  const sig = createHmac('sha256', 'agentbar-demo-secret-not-for-production').update(`ACS3-HMAC-SHA256\n${sha(canonical)}`).digest('hex');
  const { host: _, ...sent } = headers;
  const r = await fetch(`${sim.url}/?${query}`, {
    method: 'POST',
    headers: { ...sent, Authorization: `ACS3-HMAC-SHA256 Credential=LTAI5tAgentbarDemoKey,SignedHeaders=${names.join(';')},Signature=${sig}` },
  });
  const body = await r.json();
  expect(body.Code, JSON.stringify(body)).toBe('OK');
}

const test = base.extend<{ redisUrl: string }>({
  redisUrl: async ({}, use) => {
    const port = await freePort();
    const r = redis(port);
    await r.start();
    await use(`redis://127.0.0.1:${port}/`);
    await r.stop();
  },
});

// The relays are on other origins here; a deployment adds them to the CSP's connect-src (or
// serves the relay under /relay/ on the toolbar's origin). This test checks the stream.
test.use({ bypassCSP: true });

test('CCC on the relay: webhook to relay A, stream from relay B on one Redis; ring → banner with no PollUserStatus; relay B killed mid-call loses nothing', async ({ page, sim, redisUrl }) => {
  const br = bridgeProcess(await freePort(), sim);
  await br.start();
  const bridgeUrl = `http://127.0.0.1:${br.args[2]}`;
  const a = relay(await freePort(), redisUrl, bridgeUrl);
  const b = relay(await freePort(), redisUrl, bridgeUrl);
  await a.start();
  await b.start();
  try {
    await cccAdmin(sim, 'UpdateSubscription', {
      ProducerId: 'PID_Webhook',
      DefaultTopic: 'Topic_Webhook',
      AccessPoint: `${a.url}/relay/ccc/webhook?token=${WEBHOOK_TOKEN}`,
    });
    await page.route('**/agentbar.json', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ embedOrigins: [], gateways: [''], relay: b.url }) }),
    );
    // When the banner enters the page, on the page's own clock (the requests' clock too).
    await page.addInitScript(() => {
      new MutationObserver(() => {
        const w = window as unknown as { bannerAt?: number };
        if (w.bannerAt === undefined && document.querySelector('[data-testid="ringing-banner"]')) w.bannerAt = performance.now();
      }).observe(document, { childList: true, subtree: true });
    });
    const polls = () =>
      page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .filter((e) => e.name.includes('action=PollUserStatus'))
          .map((e) => e.startTime),
      );

    let inFlight = 0;
    const isPoll = (r: { url(): string }) => r.url().includes('action=PollUserStatus');
    page.on('request', (r) => isPoll(r) && inFlight++);
    page.on('requestfinished', (r) => isPoll(r) && inFlight--);
    page.on('requestfailed', (r) => isPoll(r) && inFlight--);
    await page.goto(`${bridgeUrl}/?vendor=aliyun&lang=en`);
    await page.getByTestId('signin-agent').fill('agent101');
    await page.getByTestId('signin-password').fill('agent123');
    await page.getByTestId('signin-submit').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'online');
    // The sign-in catch-up: PollUserStatus once the stream opened (again if a sign-in event
    // overtook it), then none per second. Settled: the sign-in's webhooks are in, no read on its way
    // (sign-in events move the agent and ask for no read).
    await expect.poll(async () => (await polls()).length).toBeGreaterThanOrEqual(1);
    await expect
      .poll(async () => inFlight === 0 && (await a.stats()).eventsIn >= 3) // AgentCheckIn, AgentBreak, AgentReady
      .toBe(true);
    const offeredAt = await page.evaluate(() => performance.now());
    const streamedBefore = (await b.stats()).eventsOut;

    const callid = await sim.offer({ agent: '101', caller: '13800000007' });
    await expect(page.getByTestId('ringing-banner')).toBeVisible();
    const bannerAt = await page.evaluate(() => (window as unknown as { bannerAt: number }).bannerAt);
    const readsBeforeBanner = (await polls()).filter((t) => t > offeredAt && t < bannerAt);
    expect(readsBeforeBanner, 'no PollUserStatus between the sign-in catch-up and the banner').toHaveLength(0);
    expect((await b.stats()).eventsOut).toBeGreaterThan(streamedBefore);
    // The webhook has no caller number: one coalesced read after the banner fills it in.
    await expect(page.getByTestId('ringing-caller')).toHaveText('13800000007');

    await page.getByTestId('answer').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'talking');
    await expect(page.getByTestId('call-party')).toHaveText('13800000007');

    // Relay B goes away mid-call; the customer hangs up while it is down (the webhook still
    // reaches relay A, and Redis keeps it); B comes back on the same address.
    await b.stop();
    await expect(page.getByTestId('connection-status')).not.toHaveAttribute('data-status', 'online', { timeout: 15_000 });
    const webhooksBefore = (await a.stats()).eventsIn;
    await sim.control('customer-hangup', { callid });
    await expect.poll(async () => (await a.stats()).eventsIn, { timeout: 10_000 }).toBeGreaterThan(webhooksBefore);
    await b.start();
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
    await expect(page.getByTestId('call-panel')).toBeHidden({ timeout: 15_000 });
    // What happened while B was down came from the Redis backlog (Last-Event-ID replay).
    expect((await b.stats()).eventsOut).toBeGreaterThan(0);

    // Events after the restart still arrive: a second call rings and is shown.
    await expect(page.getByTestId('agent-state')).not.toHaveAttribute('data-state', 'talking');
    if ((await page.getByTestId('agent-state').getAttribute('data-state')) !== 'ready') await page.getByTestId('state-ready').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    await sim.offer({ agent: '101', caller: '13800000008' });
    await expect(page.getByTestId('ringing-caller')).toHaveText('13800000008');

    const counts = await sim.control('counts');
    const total = counts.total.pollUserStatus;
    // Sign-in catch-up, one read per ring for its numbers, one after the reconnect (plus at
    // most a repeat of a read an event overtook): a handful, not one a second.
    console.log(`PollUserStatus during the test: ${total} (page saw ${(await polls()).length})`);
    expect(total).toBeLessThanOrEqual(8);
  } finally {
    await b.stop();
    await a.stop();
    await br.stop();
  }
});
