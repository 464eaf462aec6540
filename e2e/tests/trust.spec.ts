// Issue 11: no click, key or late answer loses a call from the agent's view. Each flow drives
// the toolbar by data-testid against the simulator and counts what reached the gateway.
import { test, expect, type ToolbarPage, type Sim } from './fixtures';

const requests = async (sim: Sim, suffix: string) =>
  (await sim.requests()).filter((r) => r.path.startsWith('/agentgateway/') && r.path.includes(suffix));

async function ready(toolbar: ToolbarPage) {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
}

async function talking(toolbar: ToolbarPage, sim: Sim, caller = '13800000001') {
  const callid = await sim.offer({ caller });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-panel')).toBeVisible();
  return callid;
}

/** A request sent after `action` and answered proves any request `action` sent has arrived. */
async function roundTrip(toolbar: ToolbarPage) {
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  await toolbar.id('hold-retrieve').click();
  await expect(toolbar.id('hold-item')).toHaveCount(0);
  await expect(toolbar.id('call-panel')).toBeVisible();
}

test('a double-clicked Answer sends one answer and the live call stays with its hang-up button', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await sim.offer({ caller: '13800000011' });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  await toolbar.id('answer').dblclick();
  await expect(toolbar.id('call-panel')).toBeVisible();
  await expect(toolbar.id('hangup')).toBeEnabled();
  await roundTrip(toolbar);
  expect(await requests(sim, '/answer')).toHaveLength(1);
  await expect(toolbar.id('call-party')).toHaveText('13800000011');
  await toolbar.expectState('talking');
});

test('Alt+A held down answers once', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await sim.offer({ caller: '13800000012' });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  const { keyboard } = toolbar.page;
  await keyboard.down('Alt');
  // The first keydown, then the key repeating while held (KeyboardEvent.repeat = true).
  for (let i = 0; i < 8; i++) await keyboard.down('KeyA');
  await keyboard.up('KeyA');
  await keyboard.up('Alt');
  await expect(toolbar.id('call-panel')).toBeVisible();
  await roundTrip(toolbar);
  expect(await requests(sim, '/answer')).toHaveLength(1);
  await expect(toolbar.id('hangup')).toBeEnabled();
});

test('a transfer dialog left open when the customer hangs up closes, and does not reopen on the next call', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const first = await talking(toolbar, sim);
  await toolbar.id('transfer-open').click();
  await toolbar.id('transfer-address').fill('2');
  await sim.control('customer-hangup', { callid: first });
  await expect(toolbar.id('call-panel')).toBeHidden();
  await expect(toolbar.id('transfer-dialog')).toBeHidden();
  await toolbar.expectState('ready');
  await talking(toolbar, sim, '13800000013');
  await expect(toolbar.id('call-party')).toHaveText('13800000013');
  await expect(toolbar.id('transfer-dialog')).toBeHidden();
});

test('the consult picker and the keypad belong to their call: closed when the customer hangs up, not reopened on the next call', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const first = await talking(toolbar, sim);
  await toolbar.id('consult-open').click();
  await expect(toolbar.id('consult-picker')).toBeVisible();
  await toolbar.id('consult-target').fill('102');
  await sim.control('customer-hangup', { callid: first });
  await expect(toolbar.id('call-panel')).toBeHidden();
  await expect(toolbar.id('consult-picker')).toBeHidden();
  await toolbar.expectState('ready');

  const second = await talking(toolbar, sim, '13800000014');
  await expect(toolbar.id('call-party')).toHaveText('13800000014');
  await expect(toolbar.id('consult-picker')).toBeHidden();
  await toolbar.id('keypad-open').click();
  await expect(toolbar.id('keypad')).toBeVisible();
  await sim.control('customer-hangup', { callid: second });
  await expect(toolbar.id('keypad')).toBeHidden();
  await toolbar.expectState('ready');
  await talking(toolbar, sim, '13800000015');
  await expect(toolbar.id('call-party')).toHaveText('13800000015');
  await expect(toolbar.id('keypad')).toBeHidden();
  await expect(toolbar.id('consult-picker')).toBeHidden();
});

test('a slow hold shows its button as pending, and a second click or Alt+D sends nothing more', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await talking(toolbar, sim);
  // Hold the request in the browser until the test lets it go (the simulator would carry it
  // out at once, and its event would end the pending state before anyone could look).
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  await toolbar.page.route(/\/voicecall\/[^/]+\/hold$/, async (route) => {
    await released;
    await route.continue();
  });
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold')).toHaveAttribute('aria-busy', 'true');
  await toolbar.id('hold').click({ force: true });
  await toolbar.page.keyboard.press('Alt+D');
  release();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  expect((await requests(sim, '/hold')).filter((r) => r.path.endsWith('/hold'))).toHaveLength(1);
});

test('what the agent typed in the transfer dialog, and the focus, survive a second ring and a mute', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await talking(toolbar, sim);
  await toolbar.id('transfer-open').click();
  await toolbar.id('transfer-calldata').fill('VIP, wants a refund');
  await toolbar.id('transfer-address').fill('12345');
  // A gateway with call waiting rings a second call while the agent talks.
  await sim.control('event', {
    agent: '101',
    eventType: 'AgentEvent_Ringing',
    content: { caller: '13900000099', called: '4001', callid: 'second-1', feature: 0, mediaAbility: 1 },
  });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  await expect(toolbar.id('transfer-address')).toHaveValue('12345');
  await expect(toolbar.id('transfer-calldata')).toHaveValue('VIP, wants a refund');
  await expect(toolbar.id('transfer-address')).toBeFocused();
  // A mute changes the allowed actions; the dialog stays as it was.
  await toolbar.id('mute').click({ force: true }).catch(() => undefined);
  await expect(toolbar.id('transfer-address')).toHaveValue('12345');
  await expect(toolbar.id('transfer-dialog')).toBeVisible();
});

test('the reject dialog closes when its call stops ringing and never moves to another caller', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const first = await sim.offer({ caller: '13800000021' });
  await toolbar.id('reject').click();
  await expect(toolbar.id('reject-dialog')).toBeVisible();
  await toolbar.id('reject-mode-release').check();
  await sim.control('customer-hangup', { callid: first });
  await expect(toolbar.id('ringing-banner')).toBeHidden();
  await expect(toolbar.id('reject-dialog')).toBeHidden();
  await sim.offer({ caller: '13800000022' });
  await expect(toolbar.id('ringing-caller')).toHaveText('13800000022');
  await expect(toolbar.id('reject-dialog')).toBeHidden();
  expect(await requests(sim, '/reject')).toHaveLength(0);
});

test('signing out with a customer on hold asks first, names the call, and keeps it', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const callid = await talking(toolbar, sim, '13800000031');
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  await toolbar.id('signout').click();
  await expect(toolbar.id('signout-dialog')).toBeVisible();
  await expect(toolbar.id('signout-calls')).toContainText('13800000031');
  await expect(toolbar.id('signout-keep')).toBeFocused();
  await toolbar.id('signout-keep').click();
  await expect(toolbar.id('signout-dialog')).toBeHidden();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  expect(await requests(sim, '/logout')).toHaveLength(0);
  const state = await sim.control('state');
  const agent = state.agents.find((a: any) => a.workno === '101');
  expect(agent.signedIn).toBe(true);
  expect(agent.held).toStrictEqual([callid]);
});

test('Ready after Busy is one click when the ring is audible and notifications are denied', async ({ toolbar, sim, context }) => {
  await context.clearPermissions();
  await toolbar.page.addInitScript(() => {
    Object.defineProperty(Notification, 'permission', { configurable: true, get: () => 'denied' });
  });
  await ready(toolbar);
  await expect(toolbar.id('sound-fix')).toBeHidden(); // the sign-in click unlocked the ringtone
  await expect(toolbar.id('notify-fix')).toBeVisible(); // the warning chip stays
  await toolbar.id('state-busy').click();
  await toolbar.expectState('busy');
  await toolbar.id('state-ready').click();
  await toolbar.expectState('ready');
  await expect(toolbar.id('readiness-check')).toBeHidden();
  expect(await requests(sim, '/sayfree')).toHaveLength(1);
});

test('mode-1 reject shows Busy when the gateway spells the trigger as seed 004 does', async ({ toolbar, sim }) => {
  await sim.control('config', { rejectBusyEvent: 'AgentEvent_SetNotReady_Success' });
  await ready(toolbar);
  await sim.offer({ caller: '13800000041' });
  await toolbar.id('reject').click();
  await toolbar.id('reject-mode-requeue').check();
  await toolbar.id('reject-confirm').click();
  await expect(toolbar.id('ringing-banner')).toBeHidden();
  await toolbar.expectState('busy');
  const events = await sim.control('events?agent=101');
  expect(events.map((e: any) => e.eventType)).toContain('AgentEvent_SetNotReady_Success');
});

test('call data that came with the call is on the banner and the call panel', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await sim.offer({ caller: '13800000051', calldata: 'IVR:1#2 order 7731' });
  await expect(toolbar.id('ringing-calldata')).toHaveText('IVR:1#2 order 7731');
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-calldata')).toHaveText('IVR:1#2 order 7731');
});

test('an event storm never makes the toolbar read more than 5 queries per 2 s', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await talking(toolbar, sim, '13800000061');
  const gateway = '/agentgateway/resource/';
  // Hold/retrieve toggles, reconnect resyncs (tab visibility) and directory reads, together.
  for (let i = 0; i < 6; i++) {
    await toolbar.id('hold').click();
    await expect(toolbar.id('hold-item')).toHaveCount(1);
    await toolbar.id('hold-retrieve').click();
    await expect(toolbar.id('hold-item')).toHaveCount(0);
    await toolbar.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await toolbar.id('transfer-open').click();
    await expect(toolbar.id('transfer-option').first()).toBeVisible();
    await toolbar.id('transfer-cancel').click();
  }
  const readTimes = async () =>
    (await sim.requests())
      .filter((r) => /^(calldata|agentgroup|queuedevice)\//.test(r.path.slice(gateway.length)) || r.path.endsWith('/agentstatus'))
      .map((r) => r.ts);
  // The reads the storm asked for have all been made once no new one comes for a while.
  let seen = -1;
  await expect
    .poll(async () => {
      const n = (await readTimes()).length;
      const quiet = n === seen;
      seen = n;
      return quiet;
    }, { intervals: [2500] })
    .toBe(true);
  const reads = await readTimes();
  expect(reads.length).toBeGreaterThan(5);
  const worst = Math.max(...reads.map((t) => reads.filter((u) => u >= t && u < t + 2000).length));
  expect(worst).toBeLessThanOrEqual(5);
});
