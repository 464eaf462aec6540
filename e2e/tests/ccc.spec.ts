// Alibaba Cloud CCC through the signing bridge (issue 5): the same components, the CCC dialect.
import { test as base, expect, freePort, bridgeProcess } from './fixtures';


const test = base.extend<{ bridge: ReturnType<typeof bridgeProcess> }>({
  bridge: async ({ sim }, use) => {
    const bridge = bridgeProcess(await freePort(), sim);
    await bridge.start();
    await use(bridge);
    await bridge.stop();
  },
});

type CccRequest = { action?: string; params?: Record<string, string>; signature?: { valid: boolean; scheme: string } };

test('CCC: sign in, ring, answer, consult, consultee answers, consult-cancel, hang up, details', async ({ page, sim, bridge }) => {
  await sim.control('scenario', { consultTarget: 'ring' });
  await sim.control('config', { cdrDelayMs: 300 });
  await page.goto(`${bridge.url}/?vendor=aliyun&lang=en&pollMs=250`);
  await page.getByTestId('signin-agent').fill('agent101');
  await page.getByTestId('signin-password').fill('agent123');
  await expect(page.getByTestId('signin-phone')).toBeHidden(); // CCC has no phone number to bind
  await page.getByTestId('signin-submit').click();
  await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  // Actions CCC lacks are hidden, not left broken.
  await expect(page.getByTestId('state-rest')).toBeHidden();

  await sim.offer({ caller: '13800000007' });
  await expect(page.getByTestId('ringing-caller')).toHaveText('13800000007');
  await page.getByTestId('answer').click();
  await expect(page.getByTestId('call-party')).toHaveText('13800000007');
  await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'talking');

  await page.getByTestId('consult-open').click();
  await page.getByTestId('consult-target').fill('agent102@ccc-demo');
  await page.getByTestId('consult-start').click();
  await expect(page.getByTestId('consult-bar')).toHaveAttribute('data-state', 'ringing');
  await sim.control('far-answer', {});
  await expect(page.getByTestId('consult-bar')).toHaveAttribute('data-state', 'talking');
  await expect(page.getByTestId('consult-conference')).toBeHidden();
  await page.getByTestId('consult-cancel').click();
  await expect(page.getByTestId('consult-bar')).toBeHidden();
  await expect(page.getByTestId('call-party')).toHaveText('13800000007');

  await page.getByTestId('hangup').click();
  await expect(page.getByTestId('call-panel')).toBeHidden();
  await expect(page.getByTestId('cdr-view')).toBeVisible();
  await expect(page.getByTestId('cdr-disposition')).toHaveText('Completed');
  // The timeline merges the queue, agent and customer sequences of GetCallDetailRecord.
  await expect(page.getByTestId('cdr-timeline').locator('li[data-source="queue"]').first()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('cdr-timeline').locator('li[data-source="agent"]').first()).toBeVisible();

  const ccc = ((await sim.requests()) as unknown as CccRequest[]).filter((r) => r.action);
  const cancel = ccc.filter((r) => r.action === 'CancelAttendedTransfer');
  expect(cancel).toHaveLength(1);
  expect(cancel[0].signature).toMatchObject({ valid: true, scheme: 'ACS3-HMAC-SHA256' });
  expect(Object.keys(cancel[0].params!).sort()).toStrictEqual(['DeviceId', 'InstanceId', 'JobId', 'UserId']);
  expect(cancel[0].params!.UserId).toBe('agent101@ccc-demo');
  expect(cancel[0].params!.InstanceId).toBe('ccc-demo');
  expect(cancel[0].params!.JobId).toMatch(/^job-/);
  expect(ccc.every((r) => r.signature?.valid)).toBe(true);
  expect(ccc.some((r) => r.action === 'GetCallDetailRecord')).toBe(true);
});

test('CCC: no AccessKey reaches the browser', async ({ page, sim, bridge }) => {
  const seen: string[] = [];
  page.on('response', async (r) => {
    seen.push(JSON.stringify(await r.allHeaders()));
    if (r.request().resourceType() !== 'image') seen.push(await r.text().catch(() => ''));
  });
  await page.goto(`${bridge.url}/?vendor=aliyun&lang=en&pollMs=250`);
  await page.getByTestId('signin-agent').fill('agent101');
  await page.getByTestId('signin-password').fill('agent123');
  await page.getByTestId('signin-submit').click();
  await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
  await sim.offer({ caller: '13800000008' });
  await expect(page.getByTestId('ringing-banner')).toBeVisible();
  const all = seen.join('\n');
  expect(all).toContain('agent101@ccc-demo'); // the capture works
  expect(all).not.toContain('agentbar-demo-secret-not-for-production');
  expect(all).not.toContain('LTAI5tAgentbarDemoKey');
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === '__Host-agentbar_ccc')).toMatchObject({ httpOnly: true, sameSite: 'Strict', secure: true, path: '/' });
});

// Issue 11 on CCC: the simulator answers CancelAttendedTransfer as seed 000's example does (the
// call as it was before the cancel, only the consult leg listed, ANSWERED, the agent TALKING).
// The poll runs every 5 s, so what the panel shows right after the cancel comes from the cancel
// itself, not from a later poll.
for (const consultee of ['ringing', 'answered'] as const) {
  test(`CCC: after consult-cancel (consultee ${consultee}) the customer is on screen at once, and Hang up releases the customer's JobId`, async ({ page, sim, bridge }) => {
    await sim.control('scenario', { consultTarget: 'ring' });
    await sim.control('config', { cccResponseChannels: 'affected', cccResponseSnapshot: 'before' });
    await page.goto(`${bridge.url}/?vendor=aliyun&lang=en&pollMs=5000`);
    await page.getByTestId('signin-agent').fill('agent101');
    await page.getByTestId('signin-password').fill('agent123');
    await page.getByTestId('signin-submit').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    await sim.offer({ caller: '13800000071' });
    await expect(page.getByTestId('ringing-caller')).toHaveText('13800000071', { timeout: 15_000 });
    await page.getByTestId('answer').click();
    await expect(page.getByTestId('call-party')).toHaveText('13800000071', { timeout: 15_000 });
    await page.getByTestId('consult-open').click();
    await page.getByTestId('consult-target').fill('agent102@ccc-demo');
    await page.getByTestId('consult-start').click();
    await expect(page.getByTestId('consult-bar')).toBeVisible({ timeout: 15_000 });
    if (consultee === 'answered') {
      await sim.control('far-answer', {});
      await expect(page.getByTestId('consult-bar')).toHaveAttribute('data-state', 'talking', { timeout: 15_000 });
    }
    await page.getByTestId('consult-cancel').click();
    await expect(page.getByTestId('consult-bar')).toBeHidden({ timeout: 2_000 });
    await expect(page.getByTestId('call-party')).toHaveText('13800000071', { timeout: 2_000 });
    await page.getByTestId('hangup').click();
    await expect(page.getByTestId('call-panel')).toBeHidden({ timeout: 15_000 });
    const ccc = ((await sim.requests()) as unknown as CccRequest[]).filter((r) => r.action);
    const job = ccc.find((r) => r.action === 'CancelAttendedTransfer')!.params!.JobId;
    const releases = ccc.filter((r) => r.action === 'ReleaseCall');
    expect(releases.map((r) => r.params!.JobId)).toStrictEqual([job]);
    expect(job).toMatch(/^job-/);
  });
}

for (const form of ['null', 'absent', 'released'] as const) {
  test(`CCC: a hang-up ends the call on screen when PollUserStatus then has CallContext ${form}`, async ({ page, sim, bridge }) => {
    await sim.control('config', { cccPollNoCall: form });
    await page.goto(`${bridge.url}/?vendor=aliyun&lang=en&pollMs=250`);
    await page.getByTestId('signin-agent').fill('agent101');
    await page.getByTestId('signin-password').fill('agent123');
    await page.getByTestId('signin-submit').click();
    await expect(page.getByTestId('agent-state')).toHaveAttribute('data-state', 'ready');
    const callid = await sim.offer({ caller: '13800000072' });
    await page.getByTestId('answer').click();
    await expect(page.getByTestId('call-party')).toHaveText('13800000072');
    await sim.control('customer-hangup', { callid });
    await expect(page.getByTestId('call-panel')).toBeHidden();
    await expect(page.getByTestId('agent-state')).not.toHaveAttribute('data-state', 'talking');
  });
}
