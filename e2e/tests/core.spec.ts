// The agent's core flows against the simulator and the release build (issue 3).
import { test, expect } from './fixtures';

const vendor = (r: { path: string }) => r.path.startsWith('/agentgateway/');

test('sign in, ring, reject mode 1: back to the queue and busy, with exactly the documented request', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await expect(toolbar.id('connection-status')).toHaveAttribute('data-status', 'online');

  const callid = await sim.offer({ caller: '013800000000' });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  await expect(toolbar.id('ringing-caller')).toHaveText('013800000000');

  await toolbar.id('reject').click();
  await expect(toolbar.id('reject-dialog')).toBeVisible();
  await toolbar.id('reject-mode-requeue').check();
  await toolbar.id('reject-confirm').click();

  await expect(toolbar.id('ringing-banner')).toBeHidden();
  await toolbar.expectState('busy');

  const rejects = (await sim.requests()).filter((r) => vendor(r) && r.path.endsWith('/reject'));
  expect(rejects).toHaveLength(1);
  expect(rejects[0].method).toBe('POST');
  expect(rejects[0].path).toBe('/agentgateway/resource/voicecall/101/reject');
  expect(rejects[0].body).toStrictEqual({ callid, mode: 1 });
});

test('ring, reject mode 2: the call is released and the agent stays ready', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  const callid = await sim.offer({ caller: '10086' });
  await toolbar.id('reject').click();
  await toolbar.id('reject-mode-release').check();
  await toolbar.id('reject-confirm').click();
  await expect(toolbar.id('ringing-banner')).toBeHidden();
  await toolbar.expectState('ready');
  const rejects = (await sim.requests()).filter((r) => r.path.endsWith('/reject'));
  expect(rejects.map((r) => r.body)).toStrictEqual([{ callid, mode: 2 }]);
});

test('ring, answer, the customer hangs up: back to ready', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  const callid = await sim.offer({ caller: '13911112222' });
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-panel')).toBeVisible();
  await expect(toolbar.id('call-party')).toHaveText('13911112222');
  await toolbar.expectState('talking');
  await sim.control('customer-hangup', { callid });
  await expect(toolbar.id('call-panel')).toBeHidden();
  await toolbar.expectState('ready');
  // The details of the call open, built from the call's own events.
  await expect(toolbar.id('cdr-view')).toBeVisible();
  await expect(toolbar.id('cdr-disposition')).toHaveText('Completed');
  await expect(toolbar.id('cdr-view')).toContainText('the customer');
  await expect(toolbar.id('cdr-timeline').locator('li')).toHaveText([/Ringing/, /Established/, /Released/]);
  const answers = (await sim.requests()).filter((r) => r.path.includes('/answer'));
  expect(answers).toHaveLength(1);
  expect(answers[0].method).toBe('PUT');
});

test('without auto-ready, the agent lands in wrap-up after the call and can leave it', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn({ autoIdle: false });
  await toolbar.expectState('ready');
  const callid = await sim.offer({ caller: '13911112222' });
  await toolbar.id('answer').click();
  await toolbar.expectState('talking');
  await sim.control('customer-hangup', { callid });
  await toolbar.expectState('wrap-up');
  await toolbar.id('state-ready').click();
  await toolbar.expectState('ready');
});

test('the agent hangs up, then signs out', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await sim.offer({ caller: '13911112222' });
  await toolbar.id('answer').click();
  await toolbar.expectState('talking');
  // Sign-out during a call asks first; if the agent insists, the gateway refuses it.
  await toolbar.id('signout').click();
  await expect(toolbar.id('signout-dialog')).toBeVisible();
  await toolbar.id('signout-confirm').click();
  await expect(toolbar.id('error-message')).toContainText('finish the call first');
  await expect(toolbar.id('error-message')).toContainText('100-010');
  await toolbar.id('hangup').click();
  await toolbar.expectState('ready');
  await toolbar.id('signout').click();
  await expect(toolbar.id('signin-form')).toBeVisible();
  const paths = (await sim.requests()).filter(vendor).map((r) => `${r.method} ${r.path}`);
  expect(paths).toContain('DELETE /agentgateway/resource/voicecall/101/release');
  expect(paths.filter((p) => p === 'DELETE /agentgateway/resource/onlineagent/101/logout')).toHaveLength(2);
});

test('a wrong password shows its message and code', async ({ toolbar }) => {
  await toolbar.open();
  await toolbar.signIn({ password: 'not-the-password' });
  await expect(toolbar.id('error-message')).toContainText('Wrong agent ID or password');
  await expect(toolbar.id('error-message')).toContainText('100-004');
  await expect(toolbar.id('signin-form')).toBeVisible();
});

test('an invalid agent id is caught before anything is sent', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn({ agent: '99' });
  await expect(toolbar.page.getByText('The agent ID is a number from 101 to 59999')).toBeVisible();
  expect((await sim.requests()).filter(vendor)).toHaveLength(0);
});

test('busy with a reason, then a break, then ready', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await toolbar.id('busy-reason').selectOption('201');
  await toolbar.id('state-busy').click();
  await toolbar.expectState('busy');
  await toolbar.id('state-rest').click();
  await toolbar.id('rest-minutes').fill('10');
  await toolbar.id('rest-confirm').click();
  await toolbar.expectState('rest');
  await expect(toolbar.id('agent-state')).toContainText('left');
  await toolbar.id('state-ready').click();
  await toolbar.expectState('ready');
  const paths = (await sim.requests()).filter(vendor).map((r) => `${r.method} ${r.path}${r.query ? '?' + r.query : ''}`);
  expect(paths).toContain('POST /agentgateway/resource/onlineagent/101/saybusy?reason=201');
  expect(paths).toContain('POST /agentgateway/resource/onlineagent/101/rest/600/0');
});

test('the simulator restarts mid-shift: reconnecting, then signed out with the reason', async ({ toolbar, sim }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await sim.stop();
  await expect(toolbar.id('connection-status')).toHaveAttribute('data-status', 'reconnecting');
  await expect(toolbar.id('connection-status')).toHaveText('Reconnecting…');
  await sim.start();
  // The restarted gateway does not know the session: the toolbar says so instead of hanging.
  await expect(toolbar.id('signin-form')).toBeVisible({ timeout: 20_000 });
  await expect(toolbar.id('error-message')).toContainText('sign in again');
  await expect(toolbar.id('error-message')).toContainText('100-006');
});

test('the language switch turns the whole toolbar to Chinese and back', async ({ toolbar }) => {
  await toolbar.open();
  await expect(toolbar.id('signin-form')).toContainText('Agent sign-in');
  await toolbar.id('lang-switch').click();
  await expect(toolbar.id('signin-form')).toContainText('座席签入');
  await expect(toolbar.id('connection-status')).toHaveText('未连接');
  await toolbar.id('lang-switch').click();
  await expect(toolbar.id('signin-form')).toContainText('Agent sign-in');
});
