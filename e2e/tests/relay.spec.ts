// Issue 15: the CC-Gateway in push mode, events relayed to the toolbar over SSE. The relay is
// the real agentbar-relay process (in-process backlog), the gateway the simulator.
import { test, expect, freePort, ServerProcess, type Sim } from './fixtures';
import { resolve } from 'node:path';

const RELAY_BIN = process.env.RELAY_BIN ?? resolve(__dirname, '..', '..', 'target', 'debug', 'agentbar-relay');

/** The relay with its in-process backlog, for the simulator's CC-Gateway. */
function relayProcess(port: number, sim: Sim) {
  const url = `http://127.0.0.1:${port}`;
  const args = ['--listen', `127.0.0.1:${port}`, '--gateway', `${sim.url}/agentgateway/resource`, '--public-url', url, '--origin', sim.url, '--demo'];
  return Object.assign(new ServerProcess('relay', RELAY_BIN, args, async () => (await fetch(`${url}/relay/health`)).ok), { url });
}

// The relay is on another origin here; a deployment adds it to the CSP's connect-src (or serves
// it under /relay/ on the toolbar's origin). This test checks the stream, not that CSP line.
test.use({ bypassCSP: true });

test('push mode: a ring reaches the banner with no long-poll, and a relay restart mid-call loses nothing on screen', async ({ toolbar, sim, page }) => {
  const relay = relayProcess(await freePort(), sim);
  await relay.start();
  try {
    await page.route('**/agentbar.json', (route) =>
      route.fulfill({ contentType: 'application/json', body: JSON.stringify({ embedOrigins: [], gateways: [''], relay: relay.url }) }),
    );
    await toolbar.open();
    await toolbar.signIn();
    await toolbar.expectState('ready');
    const signIn = (await sim.requests()).find((r) => r.method === 'PUT' && /onlineagent\/101$/.test(r.path));
    expect(signIn?.body.callBackUri).toBe(`${relay.url}/relay/huawei/callback`);
    expect(signIn?.body.serviceToken).toMatch(/^[A-Za-z0-9]+$/);

    const callid = await sim.offer({ caller: '13911112222' });
    await expect(toolbar.id('ringing-banner')).toBeVisible();
    await expect(toolbar.id('ringing-banner')).toContainText('13911112222');
    await toolbar.id('answer').click();
    await expect(toolbar.id('call-panel')).toBeVisible();
    await toolbar.expectState('talking');

    // The relay goes away mid-call and comes back on the same address.
    await relay.stop();
    await expect(toolbar.id('connection-status')).not.toHaveAttribute('data-status', 'online', { timeout: 15_000 });
    await relay.start();
    await expect(toolbar.id('connection-status')).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
    await expect(toolbar.id('call-panel')).toBeVisible();

    // Events after the restart still arrive: the customer hangs up.
    await sim.control('customer-hangup', { callid });
    await expect(toolbar.id('call-panel')).toBeHidden({ timeout: 15_000 });
    await toolbar.expectState('ready');

    const counts = await sim.control('counts');
    expect(counts.agents['101'].longPolls).toBe(0);
    expect(counts.total.pollUserStatus).toBe(0);
    expect(counts.agents['101'].pushEvents).toBeGreaterThan(0);
    const polls = (await sim.requests()).filter((r) => /agentevent/.test(r.path));
    expect(polls).toHaveLength(0);
  } finally {
    await relay.stop();
  }
});
