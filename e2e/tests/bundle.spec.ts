// Issue 14: dist/ holds one wasm per vendor; a first load fetches only its vendor's, chosen by
// `?vendor=` or, without one, by the deployment's agentbar.json. Each vendor's wasm is cut in
// two: the sign-in screen, and the engine, fetched when the agent signs in or when there is a
// session to carry on with.
import { test, expect } from './fixtures';
import type { Page } from '@playwright/test';

async function vendorBuilds(page: Page, base: string): Promise<Record<string, { js: string; wasm: string }>> {
  const html = await (await page.request.get(`${base}/`)).text();
  const boot = html.match(/src="(\/boot-[0-9a-f]+\.js)"/)![1];
  const code = await (await page.request.get(`${base}${boot}`)).text();
  return JSON.parse(code.match(/const builds = (\{.*\});/)![1]);
}

function wasmFetches(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm') || /^\/wasm-[a-z-]+-[0-9a-f]+\/.*\.js$/.test(path)) seen.push(path);
  });
  return seen;
}

/// What a first load of `build` fetches: its glue, its wasm and the split loader the glue imports.
function firstLoad(build: { js: string; wasm: string }): string[] {
  const dir = build.js.slice(0, build.js.lastIndexOf('/'));
  return [build.js, build.wasm, `${dir}/__wasm_split.js`].sort();
}

function engineOf(build: { js: string }): string {
  return `${build.js.slice(0, build.js.lastIndexOf('/'))}/split_agentbar_engine.wasm`;
}

test('a CC-Gateway first load fetches the CC-Gateway wasm and nothing of CCC', async ({ page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  expect(Object.keys(builds).sort()).toEqual(['aliyun', 'aliyun-voice', 'huawei', 'huawei-voice']);
  const seen = wasmFetches(page);
  await page.goto(`${sim.url}/?lang=en`);
  await expect(page.getByTestId('signin-form')).toBeVisible();
  await expect(page.getByTestId('signin-form')).toContainText('Agent ID');
  expect(seen.sort()).toEqual(firstLoad(builds.huawei));
});

test('the engine is fetched once, as the agent starts typing the sign-in, and at once when a reload has a session to carry on with', async ({ toolbar, page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  const engine = engineOf(builds.huawei);
  const seen = wasmFetches(page);
  await toolbar.open();
  await expect(page.getByTestId('signin-form')).toBeVisible();
  expect(seen).not.toContain(engine);
  // The first keystroke fetches it, so the sign-in click does not wait for it.
  await toolbar.id('signin-agent').fill('101');
  await expect.poll(() => seen.filter((p) => p === engine).length).toBe(1);
  await toolbar.signIn();
  await toolbar.expectState('ready');
  expect(seen.filter((p) => p === engine)).toHaveLength(1);

  seen.length = 0;
  await page.reload();
  await toolbar.expectState('ready');
  expect(seen.sort()).toEqual([...firstLoad(builds.huawei), engine].sort());
});

test('an engine that cannot be fetched is said, the password stays typed, and signing in again works', async ({ toolbar, page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  let refuse = true;
  await page.route(`**${engineOf(builds.huawei)}`, (route) => (refuse ? route.abort('internetdisconnected') : route.continue()));
  await toolbar.open();
  await toolbar.signIn();
  await expect(page.getByTestId('error-message')).toContainText('Part of the toolbar could not be loaded');
  await expect(page.getByTestId('signin-password')).not.toHaveValue('');
  expect((await sim.requests()).filter((r) => r.path.startsWith('/agentgateway/'))).toHaveLength(0);
  refuse = false;
  await page.getByTestId('signin-submit').click();
  await toolbar.expectState('ready');
});

test("without ?vendor= the deployment's agentbar.json picks the wasm, and a link may still name the other", async ({ page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  await page.route('**/agentbar.json', (route) =>
    route.fulfill({ contentType: 'application/json', body: JSON.stringify({ embedOrigins: [], gateways: [''], vendor: 'aliyun' }) }),
  );
  const seen = wasmFetches(page);
  await page.goto(`${sim.url}/?lang=en`);
  await expect(page.getByTestId('signin-form')).toContainText('Login name');
  expect(seen.sort()).toEqual(firstLoad(builds.aliyun));

  seen.length = 0;
  await page.goto(`${sim.url}/?lang=en&vendor=huawei`);
  await expect(page.getByTestId('signin-form')).toContainText('Agent ID');
  expect(seen.sort()).toEqual(firstLoad(builds.huawei));
});

test('the browser phone build loads only where agentbar.json configures a softphone', async ({ page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  await page.route('**/agentbar.json', (route) =>
    route.fulfill({
      contentType: 'application/json',
      body: JSON.stringify({ gateways: [''], softphone: { ws: 'ws://127.0.0.1:9/', domain: 'agentbar.test' } }),
    }),
  );
  const seen = wasmFetches(page);
  let deploymentReads = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/agentbar.json') deploymentReads += 1;
  });
  await page.goto(`${sim.url}/?lang=en`);
  await expect(page.getByTestId('voice-panel')).toBeVisible();
  // The browser phone registers at once: its engine comes with the first load.
  expect(seen.sort()).toEqual([...firstLoad(builds['huawei-voice']), engineOf(builds['huawei-voice'])].sort());
  // The boot script read the file to pick the wasm and handed it on: one request, not two.
  expect(deploymentReads).toBe(1);
});
