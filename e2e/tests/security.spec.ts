// Security (issue 7): the toolbar runs under a strict CSP, and gateway-supplied text is text.
import { test, expect } from './fixtures';

test('the toolbar works under its Content-Security-Policy: no inline script, wasm allowed @attack', async ({ toolbar, sim, page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await toolbar.open();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain('unsafe-inline');
  expect(await page.locator('script:not([src])').count()).toBe(0);
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await sim.offer({ caller: '13800000001' });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  expect(violations).toStrictEqual([]);
  // An injected inline script is refused by the policy.
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.body.append(s);
  });
  expect(await page.evaluate(() => (window as any).__inlineRan ?? false)).toBe(false);
});

test('markup in every field that reaches the DOM renders as text @attack', async ({ toolbar, sim, page }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  const payload = '<img src=x onerror="window.__pwned=1">';
  const markup = 'img, b, svg, script, iframe';
  const callid = await sim.offer({
    caller: payload,
    called: '<iframe src=javascript:window.__pwned=4>',
    skillName: '<b>VIP</b><script>window.__pwned=2</script>',
    calldata: '<svg onload="window.__pwned=3">',
  });
  await expect(toolbar.id('ringing-caller')).toHaveText(payload);
  await expect(toolbar.id('ringing-calldata')).toHaveText('<svg onload="window.__pwned=3">');
  await expect(toolbar.id('ringing-banner').locator(markup)).toHaveCount(0);
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-party')).toHaveText(payload);
  await expect(toolbar.id('call-calldata')).toHaveText('<svg onload="window.__pwned=3">');
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-caller')).toHaveText(payload);
  await expect(toolbar.id('hold-list').locator(markup)).toHaveCount(0);
  await toolbar.id('hold-retrieve').click();
  // What the agent types (a consult target) comes back in the consult bar as text.
  await toolbar.id('consult-open').click();
  await toolbar.id('consult-target').fill('<b>102</b>');
  await toolbar.id('consult-start').click();
  await expect(toolbar.id('consult-bar-target')).toHaveText('<b>102</b>');
  await toolbar.id('consult-cancel').click();
  await expect(toolbar.id('consult-bar')).toBeHidden();
  // The call's details after it ends.
  await sim.control('customer-hangup', { callid });
  await expect(toolbar.id('cdr-view')).toBeVisible();
  await expect(toolbar.id('cdr-view').locator(markup)).toHaveCount(0);
  // A transferred call names who transferred it; a gateway's own error text is shown too.
  await sim.control('event', {
    agent: '101',
    eventType: 'AgentEvent_Ringing',
    content: { caller: '1', called: '2', callid: 'x-1', transfer: 'yes', transfrom: '<script>window.__pwned=5</script>' },
  });
  await expect(toolbar.id('ringing-transfer')).toHaveText('<script>window.__pwned=5</script>');
  await expect(toolbar.page.locator('main').locator(markup)).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned ?? 0)).toBe(0);
});
