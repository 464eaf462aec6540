// Fault injection (`/sim/fault`): one test per fault kind, each asserting the toolbar's
// observable recovery. The situation before each fault: one call answered and held, a second
// call talking. Only the scenarios the toolbar passes in scripts/faults.mjs are here.
import { test, expect, type ToolbarPage, type Sim } from './fixtures';

type Logged = { path: string; fault?: string };

/** The armed fault was hit by (or first seen by) at least one vendor request. */
async function expectHit(sim: Sim, kind: string) {
  await expect.poll(async () => ((await sim.requests()) as Logged[]).some((r) => r.fault === kind)).toBe(true);
}

async function simAgent(sim: Sim) {
  const state = await sim.control('state');
  return state.agents.find((a: { workno: string }) => a.workno === '101');
}

async function answer(toolbar: ToolbarPage, sim: Sim, caller: string) {
  const callid = await sim.offer({ caller });
  await expect(toolbar.id('ringing-caller')).toHaveText(caller);
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-party')).toHaveText(caller);
  return callid;
}

/** Signed in (a 2 s long-poll so poll faults come soon), one call held, one talking. */
async function heldAndTalking(toolbar: ToolbarPage, sim: Sim) {
  await sim.control('config', { pollWaitMs: 2000 });
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  const held = await answer(toolbar, sim, '13800000001');
  await toolbar.id('hold').click();
  await toolbar.expectState('held');
  const talking = await answer(toolbar, sim, '13800000002');
  await toolbar.expectState('talking');
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  return { held, talking };
}

/** The toolbar shows exactly the simulator's held calls and `state`. */
async function expectInSync(toolbar: ToolbarPage, sim: Sim, state: string, held: string[]) {
  await toolbar.expectState(state);
  await expect(toolbar.id('hold-item')).toHaveCount(held.length);
  for (const id of held) await expect(toolbar.page.locator(`[data-testid=hold-item][data-callid="${id}"]`)).toBeVisible();
  expect([...(await simAgent(sim)).held].sort()).toStrictEqual([...held].sort());
}

/** A transport fault on the event poll: reconnecting, then online with the state resynced. */
async function pollFault(toolbar: ToolbarPage, sim: Sim, fault: Record<string, unknown>) {
  const { held } = await heldAndTalking(toolbar, sim);
  await sim.control('fault', { match: 'agentevent', ...fault });
  const status = toolbar.id('connection-status');
  await expect(status).toHaveAttribute('data-status', 'reconnecting', { timeout: 15_000 });
  await expect(status).toHaveAttribute('data-status', 'online', { timeout: 20_000 });
  await expectHit(sim, String(fault.kind));
  await expectInSync(toolbar, sim, 'talking', [held]);
}

test('drop: the event poll gets no answer; reconnecting, then online and in sync', async ({ toolbar, sim }) => {
  await pollFault(toolbar, sim, { kind: 'drop' });
});

test('status: three 502 proxy pages on the poll; reconnecting, then online and in sync', async ({ toolbar, sim }) => {
  await pollFault(toolbar, sim, { kind: 'status', status: 502, count: 3 });
});

test('malformed: an HTML page with 200 on the poll; reconnecting, then online and in sync', async ({ toolbar, sim }) => {
  await pollFault(toolbar, sim, { kind: 'malformed' });
});

test('truncated: half a poll answer; reconnecting, then online and in sync', async ({ toolbar, sim }) => {
  await pollFault(toolbar, sim, { kind: 'truncated' });
});

test('slow: a poll answer 3 s late still brings the hang-up; the held call stays', async ({ toolbar, sim }) => {
  const { held, talking } = await heldAndTalking(toolbar, sim);
  await sim.control('fault', { kind: 'slow', delayMs: 3000, match: 'agentevent' });
  await expectHit(sim, 'slow');
  await sim.control('customer-hangup', { callid: talking });
  await expectInSync(toolbar, sim, 'held', [held]);
  await expect(toolbar.id('connection-status')).toHaveAttribute('data-status', 'online');
});

test('duplicateEvent: a Hold event delivered twice leaves exactly two held calls', async ({ toolbar, sim }) => {
  const { held, talking } = await heldAndTalking(toolbar, sim);
  await sim.control('fault', { kind: 'duplicateEvent', eventType: 'AgentEvent_Hold' });
  await toolbar.id('hold').click();
  await expectHit(sim, 'duplicateEvent');
  await expectInSync(toolbar, sim, 'held', [held, talking]);
});

test('unknownCallEvent: Hold and Call_Release for a call that does not exist are ignored', async ({ toolbar, sim }) => {
  const { held, talking } = await heldAndTalking(toolbar, sim);
  await sim.control('fault', { kind: 'unknownCallEvent', agent: '101', eventType: 'AgentEvent_Hold' });
  await sim.control('fault', { kind: 'unknownCallEvent', agent: '101' });
  await expectHit(sim, 'unknownCallEvent');
  // A real event after the unknown ones: once it shows, the unknown ones were handled.
  await sim.control('customer-hangup', { callid: talking });
  await expectInSync(toolbar, sim, 'held', [held]);
  await expect(toolbar.page.locator('[data-testid=hold-item][data-callid="no-such-call"]')).toHaveCount(0);
});

test('expireGuid: the stale GUID signs the toolbar out with a clear reason', async ({ toolbar, sim }) => {
  await heldAndTalking(toolbar, sim);
  await sim.control('fault', { kind: 'expireGuid', agent: '101' });
  await expect(toolbar.id('signin-form')).toBeVisible({ timeout: 15_000 });
  await expect(toolbar.id('error-message')).toContainText('100-006');
  await expectHit(sim, 'expireGuid');
  // The gateway still has the agent and both calls (the GUID expired, not the session).
  const agent = await simAgent(sim);
  expect(agent.signedIn).toBe(true);
  expect(agent.held).toHaveLength(1);
});

test('signOut: the gateway signs the agent out; the toolbar says so', async ({ toolbar, sim }) => {
  await heldAndTalking(toolbar, sim);
  await sim.control('fault', { kind: 'signOut', agent: '101' });
  await expect(toolbar.id('signin-form')).toBeVisible({ timeout: 15_000 });
  await expect(toolbar.id('error-message')).toContainText('The gateway signed you out');
  await expect(toolbar.id('connection-status')).toHaveAttribute('data-status', 'offline');
  await expectHit(sim, 'signOut');
  expect((await sim.control('state')).calls).toStrictEqual([]);
});

test('restart: the gateway forgets the session; a clear reason, then a fresh sign-in works', async ({ toolbar, sim }) => {
  await heldAndTalking(toolbar, sim);
  await sim.control('fault', { kind: 'restart' });
  await expect(toolbar.id('signin-form')).toBeVisible({ timeout: 15_000 });
  await expect(toolbar.id('error-message')).toContainText('100-006');
  await expectHit(sim, 'restart');
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await expect(toolbar.id('hold-item')).toHaveCount(0);
});
