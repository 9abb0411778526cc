import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { type DemoRig, demoOutcome, RELAY_IN_CHROMIUM, screenshot, startDemoRig } from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM;
const suiteName = missing
  ? `the /demo page with auth=iam in headless Chromium (${missing})`
  : 'the /demo page with auth=iam: the library signs with SigV4 in the browser';

describe(suiteName, options, () => {
  let rig: DemoRig;
  let stack: LocalStack;
  let browser: Browser;

  beforeAll(async () => {
    rig = await startDemoRig({ auth: { mode: 'iam' } });
    ({ stack, browser } = rig);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  async function connectWith(secretAccessKey: string): Promise<{ page: Page; state: string }> {
    const credentials = stack.auth.credentials;
    if (!credentials) throw new Error('iam mode should have dev credentials');
    const page = await browser.newPage();
    await page.goto(`${stack.api.url}/demo?channel=demo&transports=udp&sets=1`);
    await page.fill('#access-key-id', credentials.accessKeyId);
    await page.fill('#secret-access-key', secretAccessKey);
    await page.click('#connect');
    return { page, state: await demoOutcome(page) };
  }

  it('connects through the relay with the dev credentials typed into the page', async () => {
    const { page, state } = await connectWith(stack.auth.credentials?.secretAccessKey ?? '');
    await screenshot(page, 'demo-iam-signed');

    expect(state).toBe('connected');
    expect(await page.evaluate(() => document.body.dataset.relayProtocol)).toBe('udp');
    await page.close();
  });

  it('fails with the API answer Forbidden when the secret is wrong', async () => {
    const { page, state } = await connectWith('not-the-dev-secret-0000000000000000000000');

    expect(state).toBe('failed');
    expect(await page.textContent('#status')).toContain('Forbidden');
    await page.close();
  });
});
