// Hold list, transfer dialog (voice and multimedia) and consult (issue 4).
import { test, expect, type ToolbarPage, type Sim } from './fixtures';

const vendorCalls = async (sim: Sim, suffix: string) =>
  (await sim.requests()).filter((r) => r.path.startsWith('/agentgateway/') && r.path.includes(suffix));

async function onCall(toolbar: ToolbarPage, sim: Sim, caller = '13800000001', media: 'voice' | 'chat' = 'voice') {
  const callid = await sim.offer({ caller, media });
  await expect(toolbar.id('ringing-caller')).toHaveText(caller);
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-party')).toHaveText(caller);
  return callid;
}

async function ready(toolbar: ToolbarPage) {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
}

test('two held calls are listed with ticking timers, and one is retrieved', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const first = await onCall(toolbar, sim, '13800000001');
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-list')).toBeVisible();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  const second = await onCall(toolbar, sim, '13800000002');
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-item')).toHaveCount(2);
  const firstRow = toolbar.page.locator(`[data-testid=hold-item][data-callid="${first}"]`);
  await expect(firstRow.getByTestId('hold-caller')).toHaveText('13800000001');
  await expect(firstRow.getByTestId('hold-type')).toHaveText('Inbound call');
  await expect(firstRow.getByTestId('hold-timer')).not.toHaveText('0:00'); // it ticks
  await firstRow.getByTestId('hold-retrieve').click();
  await expect(toolbar.id('call-party')).toHaveText('13800000001');
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  await expect(toolbar.page.locator(`[data-testid=hold-item][data-callid="${second}"]`)).toBeVisible();
  const gets = await vendorCalls(sim, '/gethold');
  expect(gets.map((r) => r.query)).toStrictEqual([`callid=${first}`]);
  // The hold list was read from the gateway (seed 001's endpoint).
  expect((await vendorCalls(sim, '/holdlist')).length).toBeGreaterThan(0);
});

test('a held call can be hung up from its row; with none left the panel goes', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const callid = await onCall(toolbar, sim);
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  await toolbar.id('hold-drop').click();
  await expect(toolbar.id('hold-list')).toBeHidden();
  await toolbar.expectState('ready');
  expect((await vendorCalls(sim, '/dropcall/')).map((r) => r.path)).toStrictEqual([
    `/agentgateway/resource/voicecall/101/dropcall/${callid}`,
  ]);
  // Opened by hand with nothing held, the panel says so.
  await toolbar.id('hold-list-open').click();
  await expect(toolbar.id('hold-empty')).toHaveText('No held calls');
});

test('a voice blind transfer to a skill queue', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await onCall(toolbar, sim);
  await toolbar.id('transfer-open').click();
  await expect(toolbar.id('transfer-dialog')).toBeVisible();
  await expect(toolbar.id('transfer-kind')).toHaveAttribute('data-kind', 'voice');
  await toolbar.id('transfer-devicetype').selectOption('1');
  await toolbar.id('transfer-search').fill('general');
  await expect(toolbar.id('transfer-option')).toHaveCount(1);
  await toolbar.id('transfer-option').click();
  await expect(toolbar.id('transfer-address')).toHaveValue('1');
  await toolbar.id('transfer-mode').selectOption({ label: 'Transfer now and leave the call' });
  await toolbar.id('transfer-submit').click();
  await expect(toolbar.id('call-panel')).toBeHidden();
  await toolbar.expectState('ready');
  const sent = await vendorCalls(sim, '/voicecall/101/transfer');
  expect(sent).toHaveLength(1);
  expect(sent[0].body).toStrictEqual({ devicetype: 1, address: '1', mode: 0 });
});

test('only the modes the table allows are offered, in plain words', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await onCall(toolbar, sim);
  await toolbar.id('transfer-open').click();
  const modes = () => toolbar.id('transfer-mode').locator('option').allTextContents();
  await toolbar.id('transfer-devicetype').selectOption('3');
  expect(await modes()).toStrictEqual(['Transfer now and leave the call', 'Send to the IVR; the call comes back to me afterwards']);
  await toolbar.id('transfer-devicetype').selectOption('5');
  expect(await modes()).toHaveLength(4);
  await toolbar.id('transfer-address').fill('0'.repeat(25));
  await toolbar.id('transfer-submit').click();
  await expect(toolbar.id('transfer-error')).toContainText('at most 24 characters');
  await toolbar.page.keyboard.press('Escape');
  await expect(toolbar.id('transfer-dialog')).toBeHidden();
  expect(await vendorCalls(sim, '/transfer')).toHaveLength(0);
});

test('a multimedia transfer sends Chinese call data of exactly 2048 bytes and refuses 2049', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const callid = await onCall(toolbar, sim, 'wx-openid-42', 'chat');
  await toolbar.id('transfer-open').click();
  await expect(toolbar.id('transfer-kind')).toHaveAttribute('data-kind', 'media');
  const offered = await toolbar.id('transfer-devicetype').locator('option').allTextContents();
  expect(offered).toStrictEqual(['Skill queue', 'Agent', 'Access code']);
  await toolbar.id('transfer-devicetype').selectOption('2');
  await toolbar.id('transfer-address').fill('102');
  const exact = '客'.repeat(682) + 'ab'; // 682 × 3 + 2 = 2048 bytes
  const over = exact + 'c';
  expect(Buffer.byteLength(exact)).toBe(2048);
  await toolbar.id('transfer-calldata').fill(over);
  await expect(toolbar.id('transfer-calldata-bytes')).toContainText('2049 / 2048');
  await toolbar.id('transfer-submit').click();
  await expect(toolbar.id('transfer-error')).toContainText('UTF-8 bytes');
  expect(await vendorCalls(sim, '/mediacall/')).toHaveLength(0);
  await toolbar.id('transfer-calldata').fill(exact);
  await toolbar.id('transfer-submit').click();
  await expect(toolbar.id('transfer-dialog')).toBeHidden();
  const sent = await vendorCalls(sim, '/mediacall/101/transfer');
  expect(sent).toHaveLength(1);
  expect(sent[0].body).toStrictEqual({ callid, devicetype: 2, mode: 0, address: '102', calldata: exact });
});

test('a success transfer that fails leaves the agent on the call with a message', async ({ toolbar, sim }) => {
  await sim.control('scenario', { transferTarget: 'fail', answerDelayMs: 300 });
  await ready(toolbar);
  await onCall(toolbar, sim, '13800000009');
  await toolbar.id('transfer-open').click();
  await toolbar.id('transfer-devicetype').selectOption('2');
  await toolbar.id('transfer-address').fill('102');
  await toolbar.id('transfer-mode').selectOption({ label: 'Stay until the target answers' });
  await toolbar.id('transfer-submit').click();
  await expect(toolbar.id('transfer-progress')).toBeVisible();
  await expect(toolbar.id('error-message')).toContainText('The transfer failed');
  await expect(toolbar.id('transfer-progress')).toBeHidden();
  await expect(toolbar.id('call-party')).toHaveText('13800000009');
});

async function consultTo(toolbar: ToolbarPage, target = '102') {
  await toolbar.id('consult-open').click();
  await toolbar.id('consult-target').fill(target);
  await toolbar.id('consult-start').click();
  await expect(toolbar.id('consult-bar')).toBeVisible();
  await expect(toolbar.id('consult-bar-target')).toHaveText(target);
}

test('consult, the target answers, consult-cancel: back with the customer', async ({ toolbar, sim }) => {
  await sim.control('scenario', { consultTarget: 'ring' });
  await ready(toolbar);
  const customer = await onCall(toolbar, sim, '13800000003');
  await consultTo(toolbar);
  await expect(toolbar.id('consult-bar')).toHaveAttribute('data-state', 'ringing');
  const { callid: leg } = await sim.control('far-answer', {});
  await expect(toolbar.id('consult-bar')).toHaveAttribute('data-state', 'talking');
  await toolbar.id('consult-cancel').click();
  await expect(toolbar.id('consult-bar')).toBeHidden();
  await expect(toolbar.id('call-party')).toHaveText('13800000003');
  await toolbar.expectState('talking');
  await expect(toolbar.id('hold-list')).toBeHidden();
  const helps = await vendorCalls(sim, '/innerhelp');
  expect(helps[0].body).toStrictEqual({ dstaddress: '102', devicetype: 2, mode: 1 });
  expect((await vendorCalls(sim, '/dropcall/')).map((r) => r.path)).toStrictEqual([`/agentgateway/resource/voicecall/101/dropcall/${leg}`]);
  expect((await vendorCalls(sim, '/gethold')).map((r) => r.query)).toStrictEqual([`callid=${customer}`]);
});

test('consult-cancel while the target is still ringing', async ({ toolbar, sim }) => {
  await sim.control('scenario', { consultTarget: 'ring' });
  await ready(toolbar);
  await onCall(toolbar, sim, '13800000004');
  await consultTo(toolbar);
  await expect(toolbar.id('consult-bar')).toHaveAttribute('data-state', 'ringing');
  await expect(toolbar.id('consult-complete')).toBeDisabled();
  await toolbar.id('consult-cancel').click();
  await expect(toolbar.id('consult-bar')).toBeHidden();
  await expect(toolbar.id('call-party')).toHaveText('13800000004');
  await toolbar.expectState('talking');
});

test('consult, then complete: the customer goes to the consultee', async ({ toolbar, sim }) => {
  await sim.control('scenario', { consultTarget: 'answer', answerDelayMs: 200 });
  await ready(toolbar);
  const customer = await onCall(toolbar, sim, '13800000005');
  await consultTo(toolbar);
  await expect(toolbar.id('consult-bar')).toHaveAttribute('data-state', 'talking');
  await toolbar.id('consult-complete').click();
  await expect(toolbar.id('consult-bar')).toBeHidden();
  await expect(toolbar.id('call-panel')).toBeHidden();
  await toolbar.expectState('ready');
  expect((await vendorCalls(sim, '/connecthold/')).map((r) => r.path)).toStrictEqual([
    `/agentgateway/resource/voicecall/101/connecthold/${customer}`,
  ]);
});

test('consult, then conference: all three on one call', async ({ toolbar, sim }) => {
  await sim.control('scenario', { consultTarget: 'answer', answerDelayMs: 200 });
  await ready(toolbar);
  await onCall(toolbar, sim, '13800000006');
  await consultTo(toolbar);
  await expect(toolbar.id('consult-bar')).toHaveAttribute('data-state', 'talking');
  await toolbar.id('consult-conference').click();
  await expect(toolbar.id('consult-bar')).toBeHidden();
  await expect(toolbar.id('call-party')).toHaveText('13800000006');
  await expect(toolbar.id('hold-list')).toBeHidden();
  expect(await vendorCalls(sim, '/confjoin')).toHaveLength(1);
});
