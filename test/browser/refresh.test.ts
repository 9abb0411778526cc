import { Duration } from 'aws-cdk-lib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { type DemoRig, demoOutcome, RELAY_IN_CHROMIUM, screenshot, startDemoRig } from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM;
const suiteName = missing
  ? `keepIceServersFresh on a live connection in headless Chromium (${missing})`
  : 'keepIceServersFresh on a live relay connection in headless Chromium';

const echoed = (page: Page) => page.evaluate(() => Number(document.body.dataset.echoed ?? 0));
const refreshes = (page: Page) => page.evaluate(() => Number(document.body.dataset.refreshes ?? 0));

/** Resolves once `condition` (run in the page with `arg`) holds; rejects after `timeoutMs`. */
async function waitFor(
  page: Page,
  condition: (arg: number) => boolean,
  timeoutMs = 15_000,
  arg = 0,
): Promise<void> {
  await page.waitForFunction(condition, arg, { timeout: timeoutMs });
}

describe(suiteName, options, () => {
  let rig: DemoRig;
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    // The broker hands out cached credentials only while 298 s of their 300 are left, so the
    // refresh a few real seconds after connecting gets new ones (at the default it would get the same).
    rig = await startDemoRig({ minRemainingTtl: Duration.seconds(298) });
    ({ stack, browser } = rig);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  it('swaps in new credentials before the old ones expire, and the data channel stays open', async () => {
    const page = await browser.newPage();
    // The page's clock (timers, Date, performance) is Playwright's: four minutes pass in one step.
    await page.clock.install();
    await page.goto(`${stack.api.url}/demo?channel=demo&transports=udp&sets=1&margin=60`);
    await page.click('#connect');
    expect(await demoOutcome(page)).toBe('connected');
    await waitFor(page, () => Number(document.body.dataset.echoed) >= 1);
    stack.emulator.resetStats();

    // Each jump fires the refresh; the broker has new credentials once 2 real seconds have passed.
    for (let jump = 0; jump < 30 && (await refreshes(page)) < 1; jump++) {
      await page.clock.fastForward('04:00');
      await waitFor(page, () => Number(document.body.dataset.refreshes) >= 1, 1_000).catch(() => undefined);
    }
    const echoedAtRefresh = await echoed(page);
    await waitFor(
      page,
      (before) => Number(document.body.dataset.echoed) >= before + 2,
      15_000,
      echoedAtRefresh,
    );
    const refreshed = await refreshes(page);
    await screenshot(page, 'demo-refreshed-live');

    expect(refreshed).toBe(1);
    expect(stack.emulator.stats().operations.GetIceServerConfig).toBeGreaterThanOrEqual(1);
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('connected');
    await page.close();
  });
});
