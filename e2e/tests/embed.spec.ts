// Embedding in a CRM page (issue 6): the host on one loopback origin, the toolbar on another.
import { test as base, expect, freePort, Sim, bridgeProcess } from './fixtures';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');


/** The example CRM page served by a static server of its own (another origin). */
class Host {
  proc?: ChildProcess;
  constructor(readonly hostname: string, readonly port: number) {}
  get url() {
    return `http://${this.hostname}:${this.port}/`;
  }
  async start() {
    this.proc = spawn('node', [resolve(ROOT, 'scripts/serve-static.mjs'), resolve(ROOT, 'examples/crm'), String(this.port), '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((ok) => this.proc!.stdout!.once('data', () => ok()));
  }
  stop() {
    this.proc?.kill('SIGKILL');
  }
}

const test = base.extend<{ host: Host }>({
  host: async ({}, use) => {
    const host = new Host('127.0.0.1', await freePort());
    await host.start();
    await use(host);
    host.stop();
  },
});

function crmUrl(host: Host, sim: Sim, extra = '') {
  return `${host.url}?toolbar=${encodeURIComponent(sim.url + '/?lang=en')}${extra}`;
}

async function signInInFrame(page: import('@playwright/test').Page) {
  const bar = page.frameLocator('agent-bar iframe');
  await bar.getByTestId('signin-agent').fill('101');
  await bar.getByTestId('signin-password').fill('agent123');
  await bar.getByTestId('signin-phone').fill('70001');
  await bar.getByTestId('signin-submit').click();
  await expect(bar.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  return bar;
}

const logTypes = (page: import('@playwright/test').Page) =>
  page.getByTestId('event-log').locator('li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.type));

test('the handshake: hello with a nonce, ready with version and capabilities', async ({ page, sim, host }) => {
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('host-status')).toContainText('huawei');
  const info = await page.evaluate(() => (document.querySelector('agent-bar') as any).client.info);
  expect(info.protocol).toBe(1);
  expect(info.capabilities.commands).toContain('dial');
  expect(info.capabilities.events).toContain('call.ringing');
  // A command the current state does not allow is refused with a stable code and both languages.
  const refused = await page.evaluate(() =>
    (document.querySelector('agent-bar') as any).client.answer().then(() => null, (e: any) => ({ code: e.code, messages: e.messages })),
  );
  expect(refused).toStrictEqual({
    code: 'not_signed_in',
    messages: { 'zh-CN': '座席未签入', en: 'The agent is not signed in' },
  });
});

test('malformed and unknown messages get an error reply and break nothing', async ({ page, sim, host }) => {
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const replies = await page.evaluate(async (toolbarOrigin) => {
    const frame = (document.querySelector('agent-bar iframe') as HTMLIFrameElement).contentWindow!;
    const ask = (msg: unknown, id: string) =>
      new Promise((ok) => {
        const on = (e: MessageEvent) => {
          if (e.origin === toolbarOrigin && e.data && e.data.replyTo === id) {
            window.removeEventListener('message', on);
            ok(e.data);
          }
        };
        window.addEventListener('message', on);
        frame.postMessage(msg, toolbarOrigin);
      });
    const unknown: any = await ask({ v: 1, type: 'teleport', id: 'u1', ts: Date.now(), payload: {} }, 'u1');
    const malformed: any = await ask({ v: 1, type: 'dial', id: 'm1' }, 'm1');
    const badArg: any = await ask({ v: 1, type: 'dial', id: 'b1', ts: 1, payload: { number: '12<script>' } }, 'b1');
    return [unknown.payload.code, malformed.payload.code, badArg.payload.code];
  }, new URL(sim.url).origin);
  expect(replies).toStrictEqual(['unknown_type', 'malformed', 'invalid_argument']);
  // The toolbar still works.
  await signInInFrame(page);
});

test('ring: the host receives call.ringing with the caller and pops the card', async ({ page, sim, host }) => {
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const bar = await signInInFrame(page);
  await sim.offer({ caller: '13800000001' });
  await expect(bar.getByTestId('ringing-banner')).toBeVisible();
  await expect(page.getByTestId('customer-card')).toBeVisible();
  await expect(page.getByTestId('customer-name')).toHaveText('Wang Fang');
  await expect(page.getByTestId('customer-number')).toHaveText('13800000001');
  const ringing = page.getByTestId('event-log').locator('li[data-type="call.ringing"]');
  await expect(ringing).toContainText('"caller":"13800000001"');
  await expect(ringing).toContainText('"allowedActions":[');
});

test('click-to-dial in the host: the simulator sees the callout', async ({ page, sim, host }) => {
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const bar = await signInInFrame(page);
  await page.locator('a[data-dial="013800138000"]').click();
  await expect(page.getByTestId('event-log').locator('li[data-type="dial.sent"]')).toBeVisible();
  await expect(bar.getByTestId('call-panel')).toBeVisible();
  const callouts = (await sim.requests()).filter((r) => r.path.endsWith('/voicecall/101/callout'));
  expect(callouts.map((r) => [r.method, r.body])).toStrictEqual([['PUT', { called: '013800138000' }]]);
});

test('a host reload gets the events since its last seq, the toolbar keeps its session', async ({ page, sim, host }) => {
  await sim.control('config', { guidIntervalMs: 500 }); // the Guid rotates while we work
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const bar = await signInInFrame(page);
  const callid = await sim.offer({ caller: '13800000002' });
  await bar.getByTestId('answer').click();
  await expect(page.getByTestId('event-log').locator('li[data-type="call.answered"]')).toBeVisible();
  const seqBefore = await page.evaluate(() => (document.querySelector('agent-bar') as any).client.lastSeq);
  const signIns = (await sim.requests()).filter((r) => r.method === 'PUT' && /onlineagent\/101$/.test(r.path)).length;

  // The customer hangs up while the page (and the toolbar in it) reloads.
  await page.reload({ waitUntil: 'commit' });
  await sim.control('customer-hangup', { callid });
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const frame = page.frameLocator('agent-bar iframe');
  await expect(frame.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('event-log').locator('li[data-type="call.ended"]')).toBeVisible();

  // What the reloaded page got carries on from its last seq, without a gap or a repeat.
  const seqs = await page
    .getByTestId('event-log')
    .locator('li[data-seq]')
    .evaluateAll((lis) => lis.map((li) => Number((li as HTMLElement).dataset.seq)).sort((a, b) => a - b));
  expect(seqs[0]).toBe(seqBefore + 1);
  expect(seqs).toStrictEqual(seqs.map((_, i) => seqBefore + 1 + i));
  const reqs = await sim.requests();
  expect(reqs.filter((r) => r.method === 'PUT' && /onlineagent\/101$/.test(r.path)).length).toBe(signIns); // no new sign-in
  expect(reqs.some((r) => r.path.endsWith('/onlineagent/101/updateGuid'))).toBe(true);
});

test('a host origin that is not allowed gets no events and cannot command @attack', async ({ page, sim }) => {
  // Same machine, different origin: localhost is not on the toolbar's allowlist (127.0.0.1:* is).
  const port = await freePort();
  const stranger = new Host('localhost', port);
  await stranger.start();
  try {
    await page.goto(`http://localhost:${port}/?toolbar=${encodeURIComponent(sim.url + '/?lang=en')}&helloTimeout=3000&requestTimeout=1500`);
    const bar = await signInInFrame(page);
    await sim.offer({ caller: '13800000001' });
    await expect(bar.getByTestId('ringing-banner')).toBeVisible();
    // The loader gives up on hello: the toolbar never answered this origin.
    await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'error');
    expect(await logTypes(page)).toStrictEqual([]);
    await page.locator('a[data-dial="13800000002"]').click();
    await expect(page.getByTestId('event-log').locator('li[data-type="dial.refused"]')).toContainText('timeout');
    expect((await sim.requests()).filter((r) => r.path.endsWith('/callout'))).toHaveLength(0);
  } finally {
    stranger.stop();
  }
});

test('two tabs: only one polls; the other mirrors and forwards; closing the holder hands the phone over', async ({ context, sim }) => {
  const url = `${sim.url}/?lang=en`;
  const first = await context.newPage();
  await first.goto(url);
  await first.getByTestId('signin-agent').fill('101');
  await first.getByTestId('signin-password').fill('agent123');
  await first.getByTestId('signin-phone').fill('70001');
  await first.getByTestId('signin-submit').click();
  await expect(first.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');

  const second = await context.newPage();
  await second.goto(url);
  await expect(second.getByTestId('phone-elsewhere')).toBeVisible();
  await expect(second.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready'); // mirrored

  // A ring shows in both; the second tab answers, the first tab's session carries it out.
  const callid = await sim.offer({ caller: '13800000001' });
  await expect(first.getByTestId('ringing-banner')).toBeVisible();
  await expect(second.getByTestId('ringing-banner')).toBeVisible();
  await second.getByTestId('answer').click();
  await expect(first.getByTestId('call-panel')).toBeVisible();
  await expect(second.getByTestId('call-panel')).toBeVisible();

  const polls = (page: import('@playwright/test').Page) =>
    page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/agentevent/')).length);
  expect(await polls(first)).toBeGreaterThan(0);
  expect(await polls(second)).toBe(0);
  const signIns = () => sim.requests().then((rs) => rs.filter((r) => r.method === 'PUT' && /onlineagent\/101$/.test(r.path)).length);
  expect(await signIns()).toBe(1);

  // The holder closes: the other tab takes the phone without signing in again.
  await first.close();
  await expect(second.getByTestId('phone-elsewhere')).toBeHidden();
  await sim.control('customer-hangup', { callid });
  await expect(second.getByTestId('call-panel')).toBeHidden();
  await expect(second.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  expect(await polls(second)).toBeGreaterThan(0);
  expect(await signIns()).toBe(1);
  expect((await sim.requests()).some((r) => r.path.endsWith('/onlineagent/101/updateGuid'))).toBe(true);

  // "Use the phone here" moves it to a newly opened tab.
  const third = await context.newPage();
  await third.goto(url);
  await expect(third.getByTestId('phone-elsewhere')).toBeVisible();
  await third.getByTestId('phone-here').click();
  await expect(third.getByTestId('phone-elsewhere')).toBeHidden();
  await expect(second.getByTestId('phone-elsewhere')).toBeVisible();
  await expect(third.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
});

// Issue 12: what the embedding API and the tabs must not let through.

test('after sign-out, a new host page replaying from seq 0 sees no earlier caller @attack', async ({ context, sim, host }) => {
  const page = await context.newPage();
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const bar = await signInInFrame(page);
  const callid = await sim.offer({ caller: '13855550001' });
  await expect(page.getByTestId('event-log').locator('li[data-type="call.ringing"]')).toBeVisible();
  await bar.getByTestId('answer').click();
  await sim.control('customer-hangup', { callid });
  await expect(bar.getByTestId('call-panel')).toBeHidden();
  // Nothing of the session outlives it in the toolbar's storage: no stored session or
  // picture, and no value naming the caller (the host journal is gone too).
  const leftovers = async () => {
    const toolbar = page.frames().filter((f) => f.url().startsWith(sim.url));
    expect(toolbar.length).toBeGreaterThan(0);
    const found = await Promise.all(
      toolbar.map((f) =>
        f
          .evaluate((caller) => {
            const keys = Object.keys(localStorage);
            return keys.filter((k) => k.startsWith('agentbar.session') || (localStorage.getItem(k) ?? '').includes(caller));
          }, '13855550001')
          .catch(() => [] as string[]),
      ),
    );
    return found.flat();
  };
  // While signed in the session is stored (the check below can see it)…
  expect((await leftovers()).length).toBeGreaterThan(0);
  await bar.getByTestId('signout').click();
  await expect(bar.getByTestId('signin-form')).toBeVisible();
  // …and after sign-out nothing of it is left.
  await expect.poll(leftovers).toEqual([]);
  await page.close();

  // Another CRM page in the same browser asks for everything since seq 0.
  const next = await context.newPage();
  await next.goto(crmUrl(host, sim));
  await expect(next.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const replay = await next.evaluate(async () => {
    const client = (document.querySelector('agent-bar') as any).client;
    const seen: unknown[] = [];
    client.on('*', (payload: unknown) => seen.push(payload));
    const reply = await client._request('subscribe', { since: 0 });
    return { reply, seen: JSON.stringify(seen) };
  });
  expect(JSON.stringify(replay.reply)).not.toContain('13855550001');
  expect(replay.seen).not.toContain('13855550001');
  expect(replay.reply.replayed ?? 0).toBe(0);
});

test('a crafted ?gateway= link cannot send the password elsewhere @attack', async ({ page, sim }) => {
  // A listener standing in for the attacker's server: it must receive nothing.
  const { createServer } = await import('node:http');
  let hits = 0;
  const evil = createServer((_, res) => {
    hits++;
    res.end('{}');
  });
  const port = await freePort();
  await new Promise<void>((ok) => evil.listen(port, '127.0.0.1', ok));
  try {
    await page.goto(`${sim.url}/?lang=en&gateway=${encodeURIComponent(`http://127.0.0.1:${port}`)}`);
    await expect(page.getByTestId('error-message')).toContainText('does not allow');
    await page.getByTestId('signin-agent').fill('101');
    await page.getByTestId('signin-password').fill('agent123');
    await page.getByTestId('signin-phone').fill('70001');
    await page.getByTestId('signin-submit').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    expect(hits).toBe(0);
    expect((await sim.requests()).filter((r) => /onlineagent\/101$/.test(r.path))).toHaveLength(1);
  } finally {
    evil.close();
  }
});

test('no password crosses the tab channel: a follower tab signs in by taking the phone @attack', async ({ context, sim }) => {
  await context.addInitScript(() => {
    (window as any).__tabMessages = [];
    const post = BroadcastChannel.prototype.postMessage;
    BroadcastChannel.prototype.postMessage = function (this: BroadcastChannel, msg: unknown) {
      (window as any).__tabMessages.push(String(msg));
      return post.call(this, msg);
    };
  });
  const url = `${sim.url}/?lang=en`;
  const first = await context.newPage();
  await first.goto(url);
  await expect(first.getByTestId('signin-form')).toBeVisible();
  const second = await context.newPage();
  await second.goto(url);
  await expect(second.getByTestId('phone-elsewhere')).toBeVisible();
  await second.getByTestId('signin-agent').fill('101');
  await second.getByTestId('signin-password').fill('s3cret-agent123');
  await second.getByTestId('signin-phone').fill('70001');
  await second.getByTestId('signin-submit').click();
  await expect(second.getByTestId('phone-elsewhere')).toBeHidden();
  await expect(second.getByTestId('error-message')).toContainText('100-004');
  const sent = [...(await first.evaluate(() => (window as any).__tabMessages)), ...(await second.evaluate(() => (window as any).__tabMessages))];
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.join('\n')).not.toContain('s3cret-agent123');
  const signIns = (await sim.requests()).filter((r) => /onlineagent\/101$/.test(r.path));
  expect(signIns.map((r) => r.body.password)).toStrictEqual(['s3cret-agent123']);
});

test('a host page embedding a follower tab gets the reply to its command, by id', async ({ context, sim, host }) => {
  const first = await context.newPage();
  await first.goto(crmUrl(host, sim));
  await expect(first.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  await signInInFrame(first);
  const second = await context.newPage();
  await second.goto(crmUrl(host, sim));
  await expect(second.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  await expect(second.frameLocator('agent-bar iframe').getByTestId('phone-elsewhere')).toBeVisible();
  const outcome = await second.evaluate(() =>
    (document.querySelector('agent-bar') as any).client.dial('13800000002').then((r: unknown) => ({ ok: r }), (e: any) => ({ error: e.code })),
  );
  expect(outcome).toMatchObject({ ok: { ok: true } });
  expect((await sim.requests()).filter((r) => r.path.endsWith('/callout'))).toHaveLength(1);
  // A refused command is answered too, not left to time out.
  const refused = await second.evaluate(() =>
    (document.querySelector('agent-bar') as any).client.answer().then(() => null, (e: any) => e.code),
  );
  expect(refused).toBe('not_allowed');
});

// Issue 13: every new command from a host page on another origin, seen at the simulator.

const client = (page: import('@playwright/test').Page) => ({
  call: (method: string, ...args: unknown[]) =>
    page.evaluate(
      ([m, a]) => (document.querySelector('agent-bar') as any).client[m as string](...(a as unknown[])).then(
        (r: unknown) => ({ ok: r }),
        (e: any) => ({ error: e.code }),
      ),
      [method, args] as const,
    ),
});

async function talkingInFrame(page: import('@playwright/test').Page, sim: Sim, host: Host, extra = '') {
  await page.goto(crmUrl(host, sim, extra));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const bar = await signInInFrame(page);
  const callid = await sim.offer({ caller: '13800000077' });
  await bar.getByTestId('answer').click();
  await expect(bar.getByTestId('call-panel')).toBeVisible();
  return { bar, callid };
}

const paths = async (sim: Sim) => (await sim.requests()).map((r) => `${r.path}${r.query ? '?' + r.query : ''}`);

test('host commands mute, unmute and sendDtmf reach the gateway, and the host hears of the mute', async ({ page, sim, host }) => {
  const { bar } = await talkingInFrame(page, sim, host);
  const c = client(page);
  expect(await c.call('mute')).toMatchObject({ ok: { ok: true } });
  await expect(bar.getByTestId('muted-badge')).toBeVisible();
  await expect(page.getByTestId('event-log').locator('li[data-type="call.muted"]')).toBeVisible();
  expect(await c.call('sendDtmf', '5')).toStrictEqual({ error: 'not_allowed' }); // muted: no keypad
  expect(await c.call('unmute')).toMatchObject({ ok: { ok: true } });
  await expect(bar.getByTestId('muted-badge')).toBeHidden();
  expect(await c.call('sendDtmf', '12#')).toMatchObject({ ok: { ok: true } });
  expect(await c.call('sendDtmf', '12a')).toStrictEqual({ error: 'invalid_argument' });
  const sent = await paths(sim);
  expect(sent).toContain('/agentgateway/resource/voicecall/101/beginmute');
  expect(sent).toContain('/agentgateway/resource/voicecall/101/endmute');
  expect(sent).toContain('/agentgateway/resource/voicecall/101/seconddialex?number=12%23');
});

test('host command conference joins customer, consultee and agent', async ({ page, sim, host }) => {
  await sim.control('scenario', { consultTarget: 'ring' });
  const { bar } = await talkingInFrame(page, sim, host);
  const c = client(page);
  expect(await c.call('consult', { type: 'agent', address: '102' })).toMatchObject({ ok: { ok: true } });
  await sim.control('far-answer', {});
  await expect(bar.getByTestId('consult-bar')).toHaveAttribute('data-state', 'talking');
  expect(await c.call('conference')).toMatchObject({ ok: { ok: true } });
  await expect(bar.getByTestId('consult-bar')).toBeHidden();
  expect((await paths(sim)).some((p) => p.endsWith('/voicecall/101/confjoin'))).toBe(true);
});

test('host command consultComplete hands the customer to the consultee', async ({ page, sim, host }) => {
  await sim.control('scenario', { consultTarget: 'ring' });
  const { bar } = await talkingInFrame(page, sim, host);
  const c = client(page);
  expect(await c.call('consultComplete')).toStrictEqual({ error: 'not_allowed' }); // no consult yet
  expect(await c.call('consult', { type: 'agent', address: '103' })).toMatchObject({ ok: { ok: true } });
  await sim.control('far-answer', {});
  await expect(bar.getByTestId('consult-bar')).toHaveAttribute('data-state', 'talking');
  expect(await c.call('consultComplete')).toMatchObject({ ok: { ok: true } });
  expect((await paths(sim)).some((p) => /\/voicecall\/101\/connecthold\//.test(p))).toBe(true);
});

test('host command dropHeld hangs up that held call only', async ({ page, sim, host }) => {
  const { bar, callid } = await talkingInFrame(page, sim, host);
  const c = client(page);
  expect(await c.call('hold')).toMatchObject({ ok: { ok: true } });
  await expect(bar.getByTestId('hold-item')).toHaveCount(1);
  expect(await c.call('dropHeld', 'no-such-call')).toStrictEqual({ error: 'no_call' });
  expect(await c.call('dropHeld', callid)).toMatchObject({ ok: { ok: true } });
  await expect(bar.getByTestId('hold-item')).toHaveCount(0);
  expect(await paths(sim)).toContain(`/agentgateway/resource/voicecall/101/dropcall/${callid}`);
});

test('host command endWrapUp leaves wrap-up, and call.ended and call.detail reach the host', async ({ page, sim, host }) => {
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const bar = page.frameLocator('agent-bar iframe');
  await bar.getByTestId('signin-agent').fill('101');
  await bar.getByTestId('signin-password').fill('agent123');
  await bar.getByTestId('signin-phone').fill('70001');
  await bar.getByTestId('signin-autoidle').uncheck();
  await bar.getByTestId('signin-submit').click();
  await expect(bar.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  const callid = await sim.offer({ caller: '13800000078', calldata: 'ticket 991' });
  await bar.getByTestId('answer').click();
  await sim.control('customer-hangup', { callid });
  await expect(bar.getByTestId('agent-state')).toHaveAttribute('data-state', 'wrap-up');
  const ended = page.getByTestId('event-log').locator('li[data-type="call.ended"]');
  await expect(ended).toBeVisible();
  await expect(page.getByTestId('call-log').locator(`li[data-call-id="${callid}"]`)).toHaveAttribute('data-disposition', 'Success');
  expect(await client(page).call('endWrapUp')).toMatchObject({ ok: { ok: true } });
  await expect(bar.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  expect(await paths(sim)).toContain('/agentgateway/resource/onlineagent/101/cancelwork');
});

test('a dial that does not connect reaches the host as call.failed and notice', async ({ page, sim, host }) => {
  await sim.control('scenario', { callout: 'fail' });
  await page.goto(crmUrl(host, sim));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  await signInInFrame(page);
  expect(await client(page).call('dial', '13800000079')).toMatchObject({ ok: { ok: true } });
  await expect(page.getByTestId('crm-messages').locator('li[data-kind="call.failed"]')).toBeVisible();
  await expect(page.getByTestId('crm-messages').locator('li[data-kind="notice"]')).toBeVisible();
  await expect(page.getByTestId('event-log').locator('li[data-type="call.dialing"]')).toBeVisible();
});

test('hello settings: the host page picks language and a dark, compact theme with its accent', async ({ page, sim, host }) => {
  await page.goto(crmUrl(host, sim, '&lang=zh-CN&mode=dark&density=compact&accent=%230a7f5a'));
  await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
  const root = page.frameLocator('agent-bar iframe').locator('.ab-root');
  await expect(root).toHaveAttribute('lang', 'zh-CN');
  await expect(root).toHaveAttribute('data-theme', 'dark');
  await expect(root).toHaveAttribute('data-density', 'compact');
  await expect
    .poll(() => root.evaluate((el) => getComputedStyle(el).getPropertyValue('--ab-accent').trim()))
    .toBe('#0a7f5a');
});

test('the loader as an ES module, bundled into the CRM\'s own origin: imports, defines <agent-bar>, connects, and answers a command', async ({ page, sim, host }) => {
  // examples/crm/esm.html imports ./agentbar-embed.mjs (the package's ES module) as a CRM app would.
  await page.goto(`${host.url}esm.html?toolbar=${encodeURIComponent(sim.url + '/?lang=en')}`);
  await expect(page.getByTestId('esm-status')).toHaveAttribute('data-state', 'ready');
  await expect.poll(() => page.evaluate(() => (window as any).esmResult ?? null)).not.toBeNull();
  expect(await page.evaluate(() => (window as any).esmResult)).toStrictEqual({
    protocol: 1,
    expected: 1,
    isElement: true,
    defined: true,
    connectIsFn: true,
    refused: { isError: true, code: 'not_signed_in' },
  });
});

test('CCC through the bridge: the host page answers, mutes, unmutes, sends DTMF and hangs up; conference answers unsupported', async ({ page, sim, host }) => {
  const bridge = bridgeProcess(await freePort(), sim);
  await bridge.start();
  try {
    await page.goto(`${host.url}?toolbar=${encodeURIComponent(bridge.url + '/?lang=en&vendor=aliyun')}`);
    await expect(page.getByTestId('host-status')).toHaveAttribute('data-state', 'ready');
    const bar = page.frameLocator('agent-bar iframe');
    await bar.getByTestId('signin-agent').fill('agent101');
    await bar.getByTestId('signin-password').fill('agent123');
    await bar.getByTestId('signin-submit').click();
    await expect(bar.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    await sim.offer({ caller: '13800000021' });
    await expect(page.getByTestId('event-log').locator('li[data-type="call.ringing"]')).toBeVisible();
    const c = client(page);
    expect(await c.call('answer')).toMatchObject({ ok: { ok: true } });
    await expect(bar.getByTestId('call-panel')).toBeVisible();
    expect(await c.call('mute')).toMatchObject({ ok: { ok: true } });
    await expect(bar.getByTestId('muted-badge')).toBeVisible();
    await expect(page.getByTestId('event-log').locator('li[data-type="call.muted"]')).toBeVisible();
    expect(await c.call('unmute')).toMatchObject({ ok: { ok: true } });
    await expect(bar.getByTestId('muted-badge')).toBeHidden();
    expect(await c.call('sendDtmf', '7#')).toMatchObject({ ok: { ok: true } });
    expect(await c.call('conference')).toStrictEqual({ error: 'unsupported' });
    expect(await c.call('hangup')).toMatchObject({ ok: { ok: true } });
    await expect(bar.getByTestId('call-panel')).toBeHidden();
    await expect(page.getByTestId('event-log').locator('li[data-type="call.ended"]')).toBeVisible();
    const actions = ((await sim.requests()) as any[]).map((r) => r.action).filter(Boolean);
    for (const a of ['AnswerCall', 'MuteCall', 'UnmuteCall', 'SendDtmfSignaling', 'ReleaseCall']) expect(actions).toContain(a);
    expect(actions).not.toContain('InitiateAttendedTransfer');
  } finally {
    await bridge.stop();
  }
});
