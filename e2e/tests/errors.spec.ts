// Issue 13: every error code the five seeds list reaches the agent as its own message, in both
// languages, with the vendor's code. The simulator answers each with the `retcode` fault (codes
// with no known trigger) and the toolbar is driven as an agent would.
import { test, expect, type ToolbarPage, type Sim } from './fixtures';

async function ready(toolbar: ToolbarPage) {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
}

/** The newest notice shows the code with our text for it in English, then in Chinese. */
async function expectCode(toolbar: ToolbarPage, code: string, en: RegExp, zh: RegExp) {
  const notice = toolbar.id('error-message');
  await expect(notice).toHaveAttribute('data-code', code);
  await expect(notice).toContainText(code);
  await expect(notice).toContainText(en);
  await toolbar.id('lang-switch').click();
  await expect(toolbar.id('error-message')).toContainText(zh);
  await toolbar.id('lang-switch').click();
  await toolbar.id('notice-dismiss').first().click();
}

const fault = (sim: Sim, match: string, retcode: string) => sim.control('fault', { kind: 'retcode', match, retcode });

test('seed 004: reject answered 100-006, 100-007, 200-002, 200-037, 200-038, 200-039', async ({ toolbar, sim }) => {
  await ready(toolbar);
  const texts: Record<string, [RegExp, RegExp]> = {
    '100-007': [/Internal error/, /网关内部错误/],
    '200-002': [/already gone/, /已经不存在/],
    '200-037': [/Reject failed/, /拒接失败/],
    '200-038': [/Reject failed/, /拒接失败/],
    '200-039': [/Reject failed/, /拒接失败/],
  };
  for (const [code, [en, zh]] of Object.entries(texts)) {
    await sim.offer({ caller: `1380000${code.replace('-', '')}` });
    await expect(toolbar.id('ringing-banner')).toBeVisible();
    await fault(sim, 'voicecall/101/reject', code);
    await toolbar.id('reject').click();
    await toolbar.id('reject-mode-release').check();
    await toolbar.id('reject-confirm').click();
    await expectCode(toolbar, code, en, zh);
    // Clear the ring the gateway still has (the fault answered without rejecting).
    const state = await sim.control('state');
    const ringing = state.agents.find((a: any) => a.workno === '101').ringing;
    if (ringing) await sim.control('customer-hangup', { callid: ringing });
    await expect(toolbar.id('ringing-banner')).toBeHidden();
  }
  // 100-006: the session is gone; the agent is signed out with the reason.
  await sim.offer({ caller: '13800000006' });
  await fault(sim, 'voicecall/101/reject', '100-006');
  await toolbar.id('reject').click();
  await toolbar.id('reject-mode-release').check();
  await toolbar.id('reject-confirm').click();
  await expect(toolbar.id('signin-form')).toBeVisible();
  await expect(toolbar.id('error-message')).toContainText('100-006');
});

test('seed 001: the hold list answered 300-001 tells the agent', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await fault(sim, 'calldata/101/holdlist', '300-001');
  await toolbar.id('hold-list-open').click();
  await expectCode(toolbar, '300-001', /No right to query this agent/, /无权查询该座席/);
});

test('seed 002: a multimedia transfer answered 106-004…106-012 tells the agent each time', async ({ toolbar, sim }) => {
  await ready(toolbar);
  await sim.offer({ caller: 'wx-openid-9', media: 'chat' });
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-panel')).toBeVisible();
  const texts: Record<string, [RegExp, RegExp]> = {
    '106-004': [/invalid device type/, /设备类型无效/],
    '106-005': [/Session transfer failed/, /会话转移失败/],
    '106-006': [/Session transfer failed/, /会话转移失败/],
    '106-009': [/Session transfer failed/, /会话转移失败/],
    '106-010': [/Session transfer failed/, /会话转移失败/],
    '106-012': [/Session transfer failed/, /会话转移失败/],
  };
  for (const [code, [en, zh]] of Object.entries(texts)) {
    await fault(sim, 'mediacall/101/transfer', code);
    await toolbar.id('transfer-open').click();
    await toolbar.id('transfer-devicetype').selectOption('2');
    await toolbar.id('transfer-address').fill('102');
    await toolbar.id('transfer-submit').click();
    await expectCode(toolbar, code, en, zh);
    await expect(toolbar.id('call-panel')).toBeVisible(); // still on the session
  }
});
