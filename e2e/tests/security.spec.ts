// Security (issue 7): the toolbar runs under a strict CSP, and gateway-supplied text is text.
import { test, expect } from './fixtures';

test('the toolbar works under its Content-Security-Policy: no inline script, wasm allowed', async ({ toolbar, sim, page }) => {
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

test('caller numbers, skill names and call data carrying markup render as text', async ({ toolbar, sim, page }) => {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  const payload = '<img src=x onerror="window.__pwned=1">';
  await sim.offer({ caller: payload, skillName: '<b>VIP</b><script>window.__pwned=2</script>', calldata: '<svg onload="window.__pwned=3">' });
  await expect(toolbar.id('ringing-caller')).toHaveText(payload);
  await expect(toolbar.id('ringing-banner').locator('img, b, svg, script')).toHaveCount(0);
  await toolbar.id('answer').click();
  await expect(toolbar.id('call-party')).toHaveText(payload);
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-caller')).toHaveText(payload);
  await expect(toolbar.id('hold-list').locator('img, b, svg, script')).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__pwned ?? 0)).toBe(0);
});
