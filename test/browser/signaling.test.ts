import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerOptions, ViewerOutcome } from '../../local/demo/signaling';
import { type LocalStack, startLocalStack } from '../../local/runner';
import { tampered } from '../support/tamper';
import {
  demoOutcome,
  launchChromium,
  type PrivateHome,
  privateHome,
  RELAY_IN_CHROMIUM_WITH_CA,
} from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM_WITH_CA;
const suiteName = missing
  ? `the official KVS WebRTC SDK in headless Chromium (${missing})`
  : 'the official KVS WebRTC SDK in headless Chromium (/demo/signaling), signaling through the local service, relayed by coturn';

const VIEWER_TIMEOUT_MS = 45_000;

describe(suiteName, options, () => {
  let stack: LocalStack;
  let home: PrivateHome;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      channels: ['demo'],
      signalingRoles: ['viewer', 'master'],
      auth: { mode: 'jwt', channelsClaim: 'channels', masterChannelsClaim: 'master_channels' },
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    home = await privateHome(stack.coturn?.caFile);
    browser = await launchChromium(home);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await home?.remove();
    await stack?.close();
  });

  /** A new tab of the /demo/signaling page: the SDK's dist build and the client library, no AWS credentials. */
  async function newPeerPage(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${stack.api.url}/demo/signaling`);
    await page.waitForFunction(() => window.kvsSignalingDemo !== undefined && window.KVSWebRTC !== undefined);
    return page;
  }

  /** What a page gets to reach the broker: its URL, the channel, and the app's own token. */
  async function peerOptions(sub: string, master = false): Promise<PeerOptions> {
    const mint = stack.auth.mintToken;
    if (!mint) throw new Error('jwt mode with the local issuer mints tokens');
    const token = await mint({ sub, channels: ['demo'], ...(master ? { masterChannels: ['demo'] } : {}) });
    return { baseUrl: stack.api.url, channel: 'demo', token };
  }

  const viewer = async (sub: string): Promise<ViewerOutcome> => {
    const options = { ...(await peerOptions(sub)), timeoutMs: VIEWER_TIMEOUT_MS };
    return (await newPeerPage()).evaluate((o) => window.kvsSignalingDemo.viewer(o), options);
  };

  /** A viewer connection from the broker, opened by the SDK with its URL changed by `change`. */
  async function openChanged(
    sub: string,
    change: (url: URL) => void,
    beforeOpen: () => void = () => undefined,
  ) {
    const page = await newPeerPage();
    const connection = await page.evaluate(
      (o) => window.kvsSignalingDemo.viewerConnection(o),
      await peerOptions(sub),
    );
    const url = new URL(connection.signaling.url);
    // TLS with the local CA, which the browser trusts as it does for the relay's turns:, and the
    // WebSocket at path /, as KVS serves it (wss://v-….kinesisvideo….amazonaws.com/?X-Amz-…).
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/');
    change(url);
    beforeOpen();
    return page.evaluate(([c, u]) => window.kvsSignalingDemo.openWithUrl(c, u), [
      connection,
      url.toString(),
    ] as const);
  }

  it('opens a relay-only data channel from a viewer to the master, both configured only by the broker', async () => {
    const masterOptions = await peerOptions('camera', true);
    // The page's master sends its test pattern to viewers that ask for video (the form's viewer does).
    await (await newPeerPage()).evaluate((o) => window.kvsSignalingDemo.videoMaster(o), masterOptions);

    const outcome = await viewer('alice');

    expect(outcome.echo).toBe(`echo:hello from ${outcome.clientId}`);
    expect(outcome.localCandidateType).toBe('relay');
    // One HTTPS round trip to the broker gave the viewer its signaling URL and its ICE servers.
    expect(outcome.brokerRequests).toBe(1);
    console.log(
      `signaling e2e: first broker call to open data channel ${outcome.msToOpenDataChannel} ms, ` +
        `${outcome.brokerRequests} HTTPS round trip(s) to the broker, relay ${outcome.relayProtocol}`,
    );
  });

  it('lets a second viewer join the same channel', async () => {
    const outcome = await viewer('bob');

    expect(outcome.echo).toBe(`echo:hello from ${outcome.clientId}`);
    expect(stack.emulator.signaling.stats().channels.demo?.viewers).toHaveLength(2);
  });

  it('connects a viewer through the page form, as a person would', async () => {
    const page = await newPeerPage();
    const { token } = await peerOptions('carol');
    await page.fill('#token', token ?? '');

    await page.click('button[type="submit"]');

    expect(await demoOutcome(page)).toBe('connected');
  });

  it('refuses a viewer whose presigned URL was tampered with', async () => {
    const before = stack.emulator.signaling.stats().refused.AccessDeniedException ?? 0;

    const outcome = await openChanged('mallory', (url) => {
      const signature = url.searchParams.get('X-Amz-Signature') ?? '';
      url.searchParams.set('X-Amz-Signature', tampered(signature));
    });

    expect(outcome).toBe('error');
    expect(stack.emulator.signaling.stats().refused.AccessDeniedException).toBe(before + 1);
  });

  it('refuses a viewer whose presigned URL has expired', async () => {
    try {
      // The URL is signed for at most 300 s: the emulated AWS clock moves past that before it is used.
      const outcome = await openChanged(
        'late',
        () => undefined,
        () => stack.emulator.setClockOffset(301_000),
      );

      expect(outcome).toBe('error');
    } finally {
      stack.emulator.setClockOffset(0);
    }
  });
});
