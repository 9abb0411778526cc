import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/runner';
import { type DemoRig, RELAY_IN_CHROMIUM_WITH_CA, startDemoRig } from './support/chromium';

const { missing, options } = RELAY_IN_CHROMIUM_WITH_CA;
const suiteName = missing
  ? `WebRTC ingestion with the official KVS WebRTC SDK in headless Chromium (${missing})`
  : "WebRTC ingestion: the official KVS WebRTC SDK in headless Chromium joins a storage session through the broker, and the emulator's recording peer receives its video";

/** Long enough for ICE and the first frames on a busy 2-core machine; no test asserts a duration. */
const PEER_TIMEOUT_MS = 60_000;

/**
 * The peers in the page: the SDK's `SignalingClient` signs nothing (the broker's presigned URL is
 * its request signer), joins the storage session through the broker once the signaling connection
 * is open, then answers the recording peer's SDP offer, as the JS SDK's sample does for ingestion
 * (examples/master.js: `connectToMediaServer` on `open`, an `Answerer` on `sdpOffer`). The master
 * sends a synthetic camera (a canvas' stream) and microphone (an oscillator), H.264 preferred.
 */
const PAGE_SCRIPT = `
window.storageTest = (() => {
  const post = async (o, path, body) => {
    const r = await fetch(o.baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + o.token },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: await r.json() };
  };
  const syntheticCamera = () => {
    const canvas = document.createElement('canvas');
    canvas.width = 320; canvas.height = 240;
    const g = canvas.getContext('2d');
    let n = 0;
    setInterval(() => { g.fillStyle = 'hsl(' + (n++ * 7 % 360) + ',80%,50%)'; g.fillRect(0, 0, 320, 240);
      g.fillStyle = '#fff'; g.fillText(String(n), 10 + n % 280, 120); }, 66);
    const video = canvas.captureStream(15).getVideoTracks()[0];
    const audioContext = new AudioContext();
    const oscillator = audioContext.createOscillator();
    const destination = audioContext.createMediaStreamDestination();
    oscillator.connect(destination); oscillator.start();
    return new MediaStream([video, destination.stream.getAudioTracks()[0]]);
  };
  const preferH264 = (pc) => {
    for (const t of pc.getTransceivers()) {
      if (t.receiver.track.kind !== 'video') continue;
      const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
      t.setCodecPreferences([...codecs.filter((c) => c.mimeType === 'video/H264'), ...codecs.filter((c) => c.mimeType !== 'video/H264')]);
    }
  };
  async function join(o, role) {
    const route = role === 'MASTER' ? 'master' : 'viewer';
    const answer = await post(o, '/v1/channels/' + o.channel + '/' + route, {});
    if (answer.status !== 200) return { step: route, ...answer };
    const a = answer.body;
    const url = new URL(a.signaling.url);
    const stream = role === 'MASTER' ? syntheticCamera() : null;
    const client = new window.KVSWebRTC.SignalingClient({
      channelARN: a.channelArn, channelEndpoint: url.protocol + '//' + url.host, role: a.role, region: a.region,
      ...(a.clientId ? { clientId: a.clientId } : {}),
      requestSigner: { getSignedURL: async () => a.signaling.url },
    });
    const result = { mediaStorage: a.mediaStorage, joins: [], state: 'new', remoteClientId: undefined, framesDecoded: 0 };
    return await new Promise((resolve) => {
      const done = (extra) => { resolve({ ...result, ...extra }); };
      setTimeout(() => done({ timedOut: true }), o.timeoutMs);
      let pc;
      client.on('open', async () => {
        const join = a.mediaStorage && a.mediaStorage.join;
        if (!join) return done({ step: 'no join in the answer' });
        const joined = await post(o, join.path, join.body);
        result.joins.push(joined);
        if (joined.status !== 200) done({ step: 'storage-session' });
      });
      client.on('sdpOffer', async (offer, remoteClientId) => {
        result.remoteClientId = remoteClientId;
        pc = new RTCPeerConnection({ iceServers: a.iceServers });
        if (stream) for (const track of stream.getTracks()) pc.addTrack(track, stream);
        pc.onicecandidate = ({ candidate }) => {
          if (candidate && candidate.candidate) client.sendIceCandidate(candidate, role === 'MASTER' ? remoteClientId : undefined);
        };
        pc.onconnectionstatechange = () => {
          result.state = pc.connectionState;
          if (pc.connectionState === 'failed') done({});
        };
        pc.ontrack = () => {
          if (role !== 'VIEWER') return;
          const poll = setInterval(async () => {
            const stats = await pc.getStats();
            stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') result.framesDecoded = s.framesDecoded || 0; });
            if (result.framesDecoded > 5) { clearInterval(poll); done({}); }
          }, 250);
        };
        await pc.setRemoteDescription(offer);
        preferH264(pc);
        await pc.setLocalDescription(await pc.createAnswer());
        client.sendSdpAnswer(pc.localDescription, role === 'MASTER' ? remoteClientId : undefined);
        if (role === 'MASTER') {
          const wait = setInterval(() => { if (pc.connectionState === 'connected') { clearInterval(wait); done({}); } }, 100);
        }
      });
      client.on('iceCandidate', (candidate) => { if (pc) pc.addIceCandidate(candidate).catch(() => undefined); });
      client.on('error', () => done({ step: 'signaling error' }));
      client.open();
    });
  }
  return { master: (o) => join(o, 'MASTER'), viewer: (o) => join(o, 'VIEWER') };
})();
`;

interface PeerResult {
  readonly mediaStorage?: { enabled: boolean; join?: { path: string; body: Record<string, unknown> } };
  readonly joins: { status: number; body: Record<string, unknown> }[];
  readonly state: string;
  readonly remoteClientId?: string;
  readonly framesDecoded: number;
  readonly step?: string;
  readonly timedOut?: boolean;
}
type PeerOptions = { baseUrl: string; channel: string; token: string; timeoutMs: number };
type StorageWindow = { storageTest: Record<'master' | 'viewer', (o: PeerOptions) => Promise<PeerResult>> };

describe(suiteName, options, () => {
  let rig: DemoRig;
  let stack: LocalStack;

  beforeAll(async () => {
    rig = await startDemoRig(
      {
        signalingRoles: ['viewer', 'master'],
        storageSessions: true,
        auth: { mode: 'jwt', channelsClaim: 'channels', masterChannelsClaim: 'master_channels' },
      },
      {
        trustRelayCa: true,
        // Loopback candidates, unobfuscated: the recording peer offers host candidates on 127.0.0.1.
        chromiumArgs: [
          '--disable-features=WebRtcHideLocalIpsWithMdns',
          '--autoplay-policy=no-user-gesture-required',
        ],
      },
    );
    stack = rig.stack;
  }, 120_000);
  afterAll(() => rig?.close());

  async function peerPage(): Promise<Page> {
    // The page's CSP allows its own scripts only: the test's peer script is added past it.
    const page = await rig.browser.newPage({ bypassCSP: true });
    await page.goto(`${stack.api.url}/demo/signaling`);
    await page.waitForFunction(() => (window as unknown as { KVSWebRTC?: unknown }).KVSWebRTC !== undefined);
    await page.addScriptTag({ content: PAGE_SCRIPT });
    return page;
  }

  async function peerOptions(sub: string, master: boolean): Promise<PeerOptions> {
    const mint = stack.auth.mintToken;
    if (!mint) throw new Error('jwt mode with the local issuer mints tokens');
    const token = await mint({ sub, channels: ['demo'], ...(master ? { masterChannels: ['demo'] } : {}) });
    return { baseUrl: stack.api.url, channel: 'demo', token, timeoutMs: PEER_TIMEOUT_MS };
  }

  const run = async (role: 'master' | 'viewer', sub: string) => {
    const page = await peerPage();
    const o = await peerOptions(sub, role === 'master');
    return page.evaluate(({ role, o }) => (window as unknown as StorageWindow).storageTest[role](o), {
      role,
      o,
    });
  };

  const stats = () => stack.emulator.storageStats().demo;

  it("the master joins through the broker, answers the recording peer's offer, and the agent counts H.264 video frames and Opus audio", async () => {
    const master = await run('master', 'camera');
    expect(master).toMatchObject({
      mediaStorage: {
        enabled: true,
        join: { path: '/v1/channels/demo/storage-session/master', body: {} },
      },
      joins: [{ status: 200, body: { role: 'MASTER', channelArn: stack.channelArns.get('demo') } }],
      state: 'connected',
      remoteClientId: 'AWS_KVS_STORAGE_AGENT_EMULATOR',
    });
    await expect
      .poll(() => stats()?.videoFrames ?? 0, { timeout: PEER_TIMEOUT_MS, interval: 250 })
      .toBeGreaterThan(10);
    expect(stats()).toMatchObject({
      masterOffers: 1,
      masterConnection: 'connected',
      videoCodec: 'video/H264',
    });
    await expect
      .poll(() => stats()?.audioPackets ?? 0, { timeout: PEER_TIMEOUT_MS, interval: 250 })
      .toBeGreaterThan(0);
  }, 150_000);

  it("a viewer joins the storage session with its own ClientId and decodes the master's video through the recording peer", async () => {
    const viewer = await run('viewer', 'watcher');
    expect(viewer.joins).toEqual([
      {
        status: 200,
        body: {
          role: 'VIEWER',
          clientId: expect.stringMatching(/\.v0$/),
          channelArn: stack.channelArns.get('demo'),
          streamArn: expect.any(String),
        },
      },
    ]);
    expect(viewer.framesDecoded).toBeGreaterThan(5);
    const clientId = String(viewer.joins[0]?.body.clientId);
    expect(stats()?.viewers[clientId]?.forwardedVideoPackets ?? 0).toBeGreaterThan(0);
  }, 150_000);
});
