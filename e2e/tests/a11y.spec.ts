// Accessibility and ring assurance (issue 8): axe-core in every state, light and dark; keyboard
// shortcuts and dialog focus; a ring nobody can miss.
import { test as base, expect, type ToolbarPage, type Sim } from './fixtures';
import { resolve } from 'node:path';

const AXE = resolve(__dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js');
// axe is injected into the page, which the toolbar's own CSP would (rightly) refuse.
const test = base.extend({});
test.use({ bypassCSP: true });

async function axe(toolbar: ToolbarPage, state: string) {
  const { page } = toolbar;
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const found: Array<{ id: string; nodes: number; help: string; targets: string[] }> = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const result = await page.evaluate(async () => {
      const r = await (window as any).axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v: any) => ({ id: v.id, nodes: v.nodes.length, help: v.help, targets: v.nodes.map((n: any) => n.target.join(' ')) }));
    });
    found.push(...result.map((v: any) => ({ ...v, id: `${scheme}:${v.id}` })));
  }
  expect(found, `axe violations in state "${state}"`).toStrictEqual([]);
}

async function signedIn(toolbar: ToolbarPage) {
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
}

test('axe finds nothing in any state, in the light and the dark theme', async ({ toolbar, sim }) => {
  await sim.control('scenario', { consultTarget: 'ring' });
  await toolbar.open();
  await axe(toolbar, 'signed out');
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await axe(toolbar, 'idle');
  await sim.offer({ caller: '13800000001' });
  await expect(toolbar.id('ringing-banner')).toBeVisible();
  await axe(toolbar, 'ringing');
  await toolbar.id('reject').click();
  await expect(toolbar.id('reject-dialog')).toBeVisible();
  await axe(toolbar, 'reject dialog');
  await toolbar.id('reject-cancel').click();
  await toolbar.id('answer').click();
  await toolbar.expectState('talking');
  await axe(toolbar, 'talking');
  await toolbar.id('transfer-open').click();
  await expect(toolbar.id('transfer-option').first()).toBeVisible();
  await axe(toolbar, 'transfer dialog');
  await toolbar.page.keyboard.press('Escape');
  await toolbar.id('hold').click();
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  await axe(toolbar, 'hold list');
  await toolbar.id('hold-retrieve').click();
  await toolbar.expectState('talking');
  await toolbar.id('consult-open').click();
  await toolbar.id('consult-target').fill('102');
  await toolbar.id('consult-start').click();
  await expect(toolbar.id('consult-bar')).toBeVisible();
  await axe(toolbar, 'consult');
});

test('shortcuts answer, hold, hang up and open the reject dialog; dialogs trap and return focus', async ({ toolbar, sim }) => {
  await signedIn(toolbar);
  const { page } = toolbar;
  await expect(toolbar.id('answer')).toHaveCount(0);
  await sim.offer({ caller: '13800000002' });
  await expect(toolbar.id('answer')).toHaveAttribute('aria-keyshortcuts', 'Alt+A');
  await expect(toolbar.id('answer')).toHaveAttribute('title', 'Answer (Alt+A)');
  await page.keyboard.press('Alt+J');
  await expect(toolbar.id('reject-dialog')).toBeVisible();
  await expect(toolbar.id('reject-mode-requeue')).toBeFocused();
  // Tab cycles inside the dialog.
  for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
  const inside = await page.evaluate(() => !!document.activeElement?.closest('[data-testid=reject-dialog]'));
  expect(inside).toBe(true);
  await page.keyboard.press('Escape');
  await expect(toolbar.id('reject-dialog')).toBeHidden();
  await page.keyboard.press('Alt+A');
  await toolbar.expectState('talking');
  await page.keyboard.press('Alt+D');
  await expect(toolbar.id('hold-item')).toHaveCount(1);
  await toolbar.id('hold-retrieve').click();
  await toolbar.expectState('talking');
  await page.keyboard.press('Alt+H');
  await toolbar.expectState('ready');
  const paths = (await sim.requests()).map((r) => `${r.method} ${r.path.replace('/agentgateway/resource/', '')}`);
  expect(paths).toEqual(expect.arrayContaining(['PUT voicecall/101/answer', 'POST voicecall/101/hold', 'DELETE voicecall/101/release']));
});

async function instrument(page: import('@playwright/test').Page) {
  await page.addInitScript(() => {
    (window as any).__notes = [];
    (window as any).__tones = 0;
    const N = window.Notification;
    // Records notifications while keeping the real API's behaviour.
    (window as any).Notification = class extends N {
      constructor(title: string, opts?: NotificationOptions) {
        super(title, opts);
        (window as any).__notes.push({ title, body: opts?.body });
      }
    };
    const create = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (this: AudioContext) {
      (window as any).__tones++;
      return create.call(this);
    };
  });
}

test('a ring cannot go unnoticed: tone, title, badge, announcement, and a notification when hidden', async ({ toolbar, sim, context }) => {
  await context.grantPermissions(['notifications']);
  await instrument(toolbar.page);
  await signedIn(toolbar);
  const { page } = toolbar;
  await expect(toolbar.id('sound-fix')).toBeHidden(); // the sign-in click unlocked sound
  await expect(toolbar.id('notify-fix')).toBeHidden();
  // The tab goes to the background.
  await page.evaluate(() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => true }));
  await sim.offer({ caller: '13800000003' });
  await expect(toolbar.id('ring-announcement')).toContainText('13800000003');
  await expect.poll(() => page.evaluate(() => (window as any).__tones)).toBeGreaterThan(0);
  await expect.poll(() => page.evaluate(() => (window as any).__notes)).toStrictEqual([{ title: 'Incoming call', body: '13800000003' }]);
  await expect.poll(() => page.title()).toContain('☎');
  expect(await page.locator('link[rel~=icon]').getAttribute('href')).toContain('circle');
  await page.evaluate(() => Object.defineProperty(document, 'hidden', { configurable: true, get: () => false }));
  await toolbar.id('answer').click();
  await toolbar.expectState('talking');
  await expect.poll(() => page.title()).toBe('agentbar');
  expect(await page.locator('link[rel~=icon]').getAttribute('href')).not.toContain('circle');
  await expect(toolbar.id('ring-announcement')).toHaveText('');
});

test('the ring volume the agent chose is kept across a reload and rings at that level; an older fraction is read', async ({ toolbar }) => {
  const { page } = toolbar;
  await page.addInitScript(() => {
    // Gains below 1 are the ring's volume (the oscillators' frequencies are 440/480 Hz).
    (window as any).__gains = [];
    const d = Object.getOwnPropertyDescriptor(AudioParam.prototype, 'value')!;
    Object.defineProperty(AudioParam.prototype, 'value', {
      configurable: true,
      get: d.get,
      set(v: number) {
        if (v < 1) (window as any).__gains.push(v);
        d.set!.call(this, v);
      },
    });
    // What an older toolbar saved: a fraction (once, so the reload below reads the new value).
    if (!sessionStorage.getItem('seeded')) {
      localStorage.setItem('agentbar.volume', '0.3');
      sessionStorage.setItem('seeded', '1');
    }
  });
  await toolbar.open();
  await expect(toolbar.id('ring-volume')).toHaveValue('30');
  await toolbar.id('ring-volume').fill('80');
  await expect.poll(() => page.evaluate(() => localStorage.getItem('agentbar.volume'))).toBe('80');
  await page.reload();
  await expect(toolbar.id('ring-volume')).toHaveValue('80');
  await toolbar.id('sound-fix').click();
  await expect(toolbar.id('sound-fix')).toBeHidden();
  await toolbar.id('test-ring').click();
  // 80 % of the ring's full gain (0.15), as the Web Audio float stores it.
  await expect.poll(() => page.evaluate(() => (window as any).__gains.map((g: number) => Math.round(g * 1000)))).toContain(120);
});

test('blocked notifications show a warning with a one-click fix', async ({ toolbar, context }) => {
  await context.clearPermissions();
  await toolbar.open();
  await expect(toolbar.id('notify-fix')).toBeVisible();
  await expect(toolbar.id('notify-fix')).toContainText('click to allow');
});

test('the readiness check stops Ready only when no ring would be heard or seen, and "go ready anyway" is remembered', async ({ toolbar, sim, context }) => {
  await context.clearPermissions();
  // Neither channel works: no notifications, and a browser that keeps sound suspended.
  await toolbar.page.addInitScript(() => {
    Object.defineProperty(Notification, 'permission', { configurable: true, get: () => 'denied' });
    Object.defineProperty(AudioContext.prototype, 'state', { configurable: true, get: () => 'suspended' });
  });
  await toolbar.open();
  await toolbar.signIn();
  await toolbar.expectState('ready');
  await toolbar.id('state-busy').click();
  await toolbar.expectState('busy');
  await toolbar.id('state-ready').click();
  await expect(toolbar.id('readiness-check')).toContainText('Desktop alerts are off');
  await expect(toolbar.id('readiness-check')).toContainText('Ringtone is off');
  await toolbar.expectState('busy');
  expect((await sim.requests()).filter((r) => r.path.endsWith('/sayfree'))).toHaveLength(0);
  await toolbar.id('readiness-override').click();
  await toolbar.expectState('ready');
  await expect(toolbar.id('readiness-check')).toBeHidden();
  // Remembered for this sign-in: the next Ready is one click.
  await toolbar.id('state-busy').click();
  await toolbar.expectState('busy');
  await toolbar.id('state-ready').click();
  await toolbar.expectState('ready');
  await expect(toolbar.id('readiness-check')).toBeHidden();
});
