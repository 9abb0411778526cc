import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PageServer, startPageServer } from '../../bench/lib/pages';
import type { KeysViewerOptions } from '../../bench/pages/keys-viewer';
import type { PeerOptions } from '../../local/demo/signaling';
import { PHASES } from '../../local/demo/video-viewer';
import { type LocalStack, startLocalStack } from '../../local/runner';
import {
  demoOutcome,
  launchChromium,
  type PrivateHome,
  privateHome,
  RELAY_IN_CHROMIUM_WITH_CA,
  screenshot,
  shownPhases,
} from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM_WITH_CA;
const suiteName = missing
  ? `video from master to viewer in headless Chromium (${missing})`
  : 'video from master to viewer in headless Chromium (/demo/signaling): the official KVS WebRTC SDK, configured by the broker, relayed by coturn';

/** Generous: a busy two-core machine runs the master's encoder, the viewer's decoder and the stack. */
const FRAME_TIMEOUT_MS = 60_000;

/** Waits until the page's decoded-frame count passes `count`; returns it. */
async function framesPast(page: Page, count: number): Promise<number> {
  await page.waitForFunction((n) => Number(document.body.dataset.framesDecoded ?? 0) > n, count, {
    timeout: FRAME_TIMEOUT_MS,
    polling: 250,
  });
  return page.evaluate(() => Number(document.body.dataset.framesDecoded));
}

describe(suiteName, options, () => {
  let stack: LocalStack;
  let home: PrivateHome;
  let browser: Browser;
  const webSockets: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      channels: ['demo'],
      signalingRoles: ['viewer', 'master'],
      auth: { mode: 'jwt', channelsClaim: 'channels', masterChannelsClaim: 'master_channels' },
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      // The keys-in-the-page baseline of the first-frame benchmark (the last test).
      sampleViewerUser: true,
    });
    home = await privateHome(stack.coturn?.caFile);
    browser = await launchChromium(home);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await home?.remove();
    await stack?.close();
  });

  async function token(sub: string, master = false): Promise<string> {
    const mint = stack.auth.mintToken;
    if (!mint) throw new Error('jwt mode with the local issuer mints tokens');
    return mint({ sub, channels: ['demo'], ...(master ? { masterChannels: ['demo'] } : {}) });
  }

  /** A new tab of /demo/signaling (its own browser context, as another person's browser). */
  async function signalingPage(): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${stack.api.url}/demo/signaling`);
    await page.waitForFunction(() => window.kvsSignalingDemo !== undefined && window.KVSWebRTC !== undefined);
    return page;
  }

  /** Connects the page through its form, as a person would. */
  async function connectByForm(page: Page, role: 'master' | 'viewer', bearer: string): Promise<void> {
    await page.check(`input[name="role"][value="${role}"]`);
    await page.fill('#token', bearer);
    await page.click('button[type="submit"]');
  }

  let viewerPage: Page;

  it('shows the master’s test pattern in a viewer, through the relay, with the time to the first frame on the page', async () => {
    const masterPage = await signalingPage();
    await connectByForm(masterPage, 'master', await token('camera', true));
    await masterPage.waitForFunction(() => document.body.dataset.state === 'listening', undefined, {
      timeout: FRAME_TIMEOUT_MS,
    });
    viewerPage = await signalingPage();
    viewerPage.on('request', (request) => requests.push(request.url()));
    viewerPage.on('websocket', (socket) => webSockets.push(socket.url()));

    await connectByForm(viewerPage, 'viewer', await token('alice'));
    const state = await demoOutcome(viewerPage, FRAME_TIMEOUT_MS);
    const phases = await shownPhases(viewerPage);
    const shown = await viewerPage.evaluate(() => ({
      relayProtocol: document.body.dataset.relayProtocol,
      localCandidateType: document.body.dataset.localCandidateType,
      timeToFirstFrameMs: Number(document.body.dataset.timeToFirstFrameMs),
      rows: document.querySelectorAll('#phases tbody tr').length,
      status: document.getElementById('status')?.textContent ?? '',
    }));

    expect(state, shown.status).toBe('connected');
    // Relay candidates only; which of KVS's TURN transports ICE picks (udp, or tls) is its choice.
    expect(shown.localCandidateType).toBe('relay');
    expect(shown.relayProtocol).toMatch(/^(udp|tls)$/);
    expect(shown.status).toContain('echo:hello from');
    expect(Object.keys(phases).sort()).toEqual(Object.keys(PHASES).sort());
    expect(shown.timeToFirstFrameMs).toBe(phases.firstFrame);
    expect(phases.firstFrame).toBeGreaterThan(phases.signalingOpen ?? Number.POSITIVE_INFINITY);
    expect(phases.signalingOpen).toBeGreaterThan(phases.apiAnswered ?? Number.POSITIVE_INFINITY);
    expect(shown.rows).toBe(Object.keys(PHASES).length);
  });

  it('keeps decoding frames, and the picture is the test pattern, not a blank one', async () => {
    const first = await framesPast(viewerPage, 0);
    const later = await framesPast(viewerPage, first + 10);
    const picture = await viewerPage.evaluate(() => window.kvsSignalingDemo.pictureMatch());
    await screenshot(viewerPage, 'video-viewer');

    expect(later).toBeGreaterThan(first);
    expect(picture.width).toBeGreaterThan(0);
    expect(picture.matched, JSON.stringify(picture.seen)).toBe(picture.of);
  });

  it('holds no AWS key: the page called the broker only, and its WebSocket URL is signed by a broker session', async () => {
    const [socket] = webSockets;
    const credential = new URL(socket ?? 'wss://missing/').searchParams.get('X-Amz-Credential') ?? '';
    const html = await viewerPage.content();

    expect(requests.filter((url) => !url.startsWith(`${stack.api.url}/`))).toEqual([]);
    expect(webSockets).toHaveLength(1);
    // A temporary key of the broker's scoped role (ASIA…), never a long-term key (AKIA…).
    expect(credential).toMatch(/^ASIA[A-Z2-7]{16}\//);
    expect(html).not.toMatch(/AKIA[A-Z2-7]{16}/);
  });

  it('also serves a viewer that offered only a data channel, without video', async () => {
    const page = await signalingPage();
    const viewerOptions: PeerOptions & { timeoutMs: number } = {
      baseUrl: stack.api.url,
      channel: 'demo',
      token: await token('bob'),
      timeoutMs: FRAME_TIMEOUT_MS,
    };

    const outcome = await page.evaluate((o) => window.kvsSignalingDemo.viewer(o), viewerOptions);

    expect(outcome.echo).toBe(`echo:hello from ${outcome.clientId}`);
    expect(outcome.localCandidateType).toBe('relay');
  });

  describe('the first-frame benchmark’s baseline (bench/pages/keys-viewer): the same viewer holding AWS keys', () => {
    let pages: PageServer;
    beforeAll(async () => {
      pages = await startPageServer({ channels: ['demo'], authMode: 'jwt' });
    });
    afterAll(async () => pages?.close());

    it('sees the same video, calling KVS itself with the sample viewer user’s keys', async () => {
      const keys = stack.emulator.sampleViewerCredentials;
      const channelArn = stack.channelArns.get('demo');
      if (!keys || !channelArn) throw new Error('the stack has no sample viewer user or no channel demo');
      const page = await (await browser.newContext()).newPage();
      const called: string[] = [];
      page.on('request', (request) => called.push(`${request.method()} ${new URL(request.url()).pathname}`));
      await page.goto(`${pages.url}/bench/keys-viewer`);
      await page.waitForFunction(() => window.keysViewer !== undefined && window.KVSWebRTC !== undefined);
      const viewerOptions: KeysViewerOptions = {
        region: stack.emulator.region,
        endpoint: stack.emulator.url,
        channelArn,
        ...keys,
        timeoutMs: FRAME_TIMEOUT_MS,
      };

      const outcome = await page.evaluate((o) => window.keysViewer.watch(o), viewerOptions);
      await framesPast(page, 10);
      const picture = await page.evaluate(() => window.keysViewer.pictureMatch());

      expect(outcome.localCandidateType).toBe('relay');
      expect(outcome.echo).toBe(`echo:hello from ${outcome.clientId}`);
      expect(Object.keys(outcome.phases).sort()).toEqual(Object.keys(PHASES).sort());
      expect(picture.matched).toBe(picture.of);
      expect(called).toEqual(
        expect.arrayContaining(['POST /getSignalingChannelEndpoint', 'POST /v1/get-ice-server-config']),
      );
    });
  });
});
