// Issue 14: dist/ holds one wasm per vendor; a first load fetches only its vendor's, chosen by
// `?vendor=` or, without one, by the deployment's agentbar.json.
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
    if (path.endsWith('.wasm') || /^\/agentbar-[0-9a-f]+\.js$/.test(path)) seen.push(path);
  });
  return seen;
}

test('a CC-Gateway first load fetches the CC-Gateway wasm and nothing of CCC', async ({ page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  expect(Object.keys(builds).sort()).toEqual(['aliyun', 'aliyun-voice', 'huawei', 'huawei-voice']);
  const seen = wasmFetches(page);
  await page.goto(`${sim.url}/?lang=en`);
  await expect(page.getByTestId('signin-form')).toBeVisible();
  await expect(page.getByTestId('signin-form')).toContainText('Agent ID');
  expect(seen.sort()).toEqual([builds.huawei.js, builds.huawei.wasm].sort());
});

test("without ?vendor= the deployment's agentbar.json picks the wasm, and a link may still name the other", async ({ page, sim }) => {
  const builds = await vendorBuilds(page, sim.url);
  await page.route('**/agentbar.json', (route) =>
    route.fulfill({ contentType: 'application/json', body: JSON.stringify({ embedOrigins: [], gateways: [''], vendor: 'aliyun' }) }),
  );
  const seen = wasmFetches(page);
  await page.goto(`${sim.url}/?lang=en`);
  await expect(page.getByTestId('signin-form')).toContainText('Login name');
  expect(seen.sort()).toEqual([builds.aliyun.js, builds.aliyun.wasm].sort());

  seen.length = 0;
  await page.goto(`${sim.url}/?lang=en&vendor=huawei`);
  await expect(page.getByTestId('signin-form')).toContainText('Agent ID');
  expect(seen.sort()).toEqual([builds.huawei.js, builds.huawei.wasm].sort());
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
  expect(seen.sort()).toEqual([builds['huawei-voice'].js, builds['huawei-voice'].wasm].sort());
  // The boot script read the file to pick the wasm and handed it on: one request, not two.
  expect(deploymentReads).toBe(1);
});
