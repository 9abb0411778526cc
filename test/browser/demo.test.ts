import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { tampered } from '../support/tamper';
import {
  CERTUTIL,
  type DemoRig,
  demoOutcome,
  launchChromium,
  type PrivateHome,
  privateHome,
  RELAY_IN_CHROMIUM,
  screenshot,
  startDemoRig,
} from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM;
const suiteName = missing
  ? `the /demo page in headless Chromium (${missing})`
  : 'the /demo page in headless Chromium, over the local coturn relay';

describe(suiteName, options, () => {
  let rig: DemoRig;
  let stack: LocalStack;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    rig = await startDemoRig();
    ({ stack, browser } = rig);
  }, 120_000);
  afterAll(async () => {
    await rig?.close();
  });

  async function openDemo(query: string): Promise<Page> {
    page = await browser.newPage();
    await page.goto(`${stack.api.url}/demo?${query}`);
    return page;
  }
  afterAll(async () => page?.close());

  it('connects two relay-only peers over turn: UDP and shows the relay protocol and the time to the open channel', async () => {
    const demo = await openDemo('channel=demo&transports=udp&sets=1');

    await demo.click('#connect');
    const state = await demoOutcome(demo);
    const shown = await demo.evaluate(() => ({
      relayProtocol: document.body.dataset.relayProtocol,
      timeToOpenMs: document.body.dataset.timeToOpenMs,
      pair: document.getElementById('selected-pair')?.textContent ?? '',
      candidates: [...document.querySelectorAll('#candidates tr')].map((row) => row.textContent ?? ''),
    }));
    await screenshot(demo, 'demo-turn-udp');

    expect(state).toBe('connected');
    expect(shown.relayProtocol).toBe('udp');
    expect(Number(shown.timeToOpenMs)).toBeGreaterThan(0);
    expect(shown.pair).toMatch(/^peer A relay udp 127\.0\.0\.1:\d+/);
    expect(shown.candidates).toEqual([
      expect.stringMatching(/^1udpturn:127\.0\.0\.1:\d+\?transport=udp[1-9]\d*[1-9]\d*$/),
    ]);
  });

  it('keeps the channel open: messages sent over it come back through the relay', async () => {
    await page.waitForFunction(() => Number(document.body.dataset.echoed) >= 2, undefined, {
      timeout: 15_000,
    });

    expect(await page.evaluate(() => document.body.dataset.state)).toBe('connected');
  });

  it('fails with a tampered credential and says the relay refused it', async () => {
    const demo = await openDemo('channel=demo&transports=udp&sets=1');
    await demo.route('**/v1/channels/*/ice-servers', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { iceServers: { credential?: string }[] };
      for (const server of body.iceServers) {
        if (server.credential) server.credential = tampered(server.credential);
      }
      await route.fulfill({ response, json: body });
    });

    await demo.click('#connect');
    const state = await demoOutcome(demo);
    const status = await demo.textContent('#status');
    await screenshot(demo, 'demo-tampered-credential');

    expect(state).toBe('failed');
    expect(status).toContain('gathered no relay candidate');
  });

  it('fails over turns: while the local CA is not trusted, and explains why', async () => {
    const demo = await openDemo('channel=demo&transports=tls&sets=1');

    await demo.click('#connect');
    const state = await demoOutcome(demo);
    const advice = await demo.textContent('#advice');
    await screenshot(demo, 'demo-turns-untrusted');

    expect(state).toBe('failed');
    expect(advice).toContain('kvs-ice-broker local CA');
    expect(advice).toContain(stack.coturn?.caFile ?? '?');
  });

  describe(
    `with the local CA trusted in a private NSS database${CERTUTIL.missing ? ` (${CERTUTIL.missing})` : ''}`,
    CERTUTIL.options,
    () => {
      let trustingHome: PrivateHome;
      let trustingBrowser: Browser;

      beforeAll(async () => {
        trustingHome = await privateHome(stack.coturn?.caFile);
        trustingBrowser = await launchChromium(trustingHome);
      }, 120_000);
      afterAll(async () => {
        await trustingBrowser?.close();
        await trustingHome?.remove();
      });

      it.each([
        ['tls', 'turns:…?transport=tcp'],
        ['dtls', 'turns:…?transport=udp, which Chromium speaks as TLS over TCP'],
      ])('connects over %s (%s) with relay protocol tls', async (transport) => {
        const demo = await trustingBrowser.newPage();
        await demo.goto(`${stack.api.url}/demo?channel=demo&transports=${transport}&sets=1`);

        await demo.click('#connect');
        const state = await demoOutcome(demo);
        const relayProtocol = await demo.evaluate(() => document.body.dataset.relayProtocol);
        await screenshot(demo, `demo-turns-${transport}-trusted`);
        await demo.close();

        expect(state).toBe('connected');
        expect(relayProtocol).toBe('tls');
      });
    },
  );
});
