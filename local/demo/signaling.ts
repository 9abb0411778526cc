/**
 * The /demo/signaling page's script (bundled by local/demo/server.ts with the client library):
 * a master or a viewer of a signaling channel with the official KVS WebRTC JS SDK
 * (`window.KVSWebRTC`, its dist build, served beside the page), configured only from the broker's
 * signaling routes through `kvs-ice-broker/client` (`SignalingConnector`): no AWS credentials.
 * Open it twice, once as master and once (or more) as viewer. The master sends video (a canvas
 * test pattern, or the browser's camera when allowed) to every viewer over a relay-only peer
 * connection, and echoes what each viewer sends on its data channel; the viewer shows the video
 * and the time from its first API call to its first decoded frame, phase by phase
 * (local/demo/video-viewer.ts). `document.body.dataset.state` tells people and tests the outcome
 * (idle, connecting, listening, connected, failed); the viewer's phases are its `data-ms-*`.
 */

import { type SignalingConnection, SignalingConnector, sdkConfig } from '@kvs-ice-broker/client';
import type { SignalingClient as SdkSignalingClient } from 'amazon-kinesis-video-streams-webrtc';
import { selectedPair } from './stats';
import { pictureMatch, startTestPattern } from './test-pattern';
import { opened, stopWatching, type VideoOutcome, watchVideo } from './video-viewer';

export { opened };

declare global {
  interface Window {
    /** The SDK's dist build (`kvs-webrtc.min.js`) sets it. */
    KVSWebRTC: { SignalingClient: typeof SdkSignalingClient };
    /** What the page offers scripts and tests (see {@link demoApi}). */
    kvsSignalingDemo: typeof demoApi;
  }
}

/** What a peer needs to reach the broker: nothing AWS. */
export interface PeerOptions {
  readonly baseUrl: string;
  readonly channel: string;
  /** The app's own token for the broker (jwt deployments); none with `auth=none`. */
  readonly token?: string;
}

/** What a viewer saw. */
export interface ViewerOutcome {
  /** Milliseconds from the first broker call to the data channel's `open`. */
  readonly msToOpenDataChannel: number;
  /** Requests the page sent to the broker until then. */
  readonly brokerRequests: number;
  /** The master's echo of this viewer's message over the data channel. */
  readonly echo: string;
  readonly clientId: string | undefined;
  /** `relayProtocol` of the local candidate of the selected pair (`udp`, `tcp`, `tls`). */
  readonly relayProtocol: string | undefined;
  readonly localCandidateType: string | undefined;
}

/** Where the master's video comes from: the canvas test pattern, or the browser's camera. */
export type VideoSource = 'pattern' | 'camera';

/** A connector to the broker whose requests are counted. */
export function countingConnector(options: PeerOptions): {
  connector: SignalingConnector;
  requests: () => number;
} {
  let requests = 0;
  const { token } = options;
  const connector = new SignalingConnector({
    baseUrl: options.baseUrl,
    channel: options.channel,
    ...(token ? { getToken: () => token } : {}),
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
  });
  return { connector, requests: () => requests };
}

function signalingClient(connector: SignalingConnector, connection: SignalingConnection): SdkSignalingClient {
  // The SDK's own configuration, with the broker's request signer in place of AWS credentials.
  const config = { ...sdkConfig(connection), requestSigner: connector.requestSigner(connection) };
  return new window.KVSWebRTC.SignalingClient(config as ConstructorParameters<typeof SdkSignalingClient>[0]);
}

/** The local candidate of the pair the connection's transport selected ({@link selectedPair}). */
async function selectedLocal(
  pc: RTCPeerConnection,
): Promise<Pick<ViewerOutcome, 'relayProtocol' | 'localCandidateType'>> {
  const { local } = await selectedPair(pc);
  return { relayProtocol: local?.relayProtocol, localCandidateType: local?.candidateType };
}

/** The master asks the broker for fresh TURN credentials once its own have less than this left. */
const ICE_REFRESH_MARGIN_MS = 60_000;
/** How often the master checks that its spare peer connection's credentials are the freshest it has. */
const SPARE_CHECK_MS = 15_000;

/**
 * Sends `video`'s track on the video transceivers the viewer's offer asked for (a viewer that
 * offered only a data channel gets none).
 */
async function sendVideo(pc: RTCPeerConnection, video: MediaStream | undefined): Promise<void> {
  const [track] = video?.getVideoTracks() ?? [];
  if (!video || !track) return;
  for (const transceiver of pc.getTransceivers()) {
    if (transceiver.receiver.track.kind !== 'video' || transceiver.currentDirection === 'stopped') continue;
    await transceiver.sender.replaceTrack(track);
    transceiver.sender.setStreams(video);
    transceiver.direction = 'sendonly';
  }
}

/**
 * The master: answers every viewer's offer with a relay-only peer connection, sends `video` (when
 * given) to each viewer that asks for video, and echoes what each viewer sends on its data channel.
 * A viewer's peer connection is closed when its data channel closes or its connection fails.
 * The next viewer's peer connection waits ready, its relay candidates gathered ahead
 * (`iceCandidatePoolSize`), so a viewer does not wait for the master's TURN allocation; it is
 * prepared again once a viewer has connected, not to compete with that viewer's join.
 * Resolves once its signaling connection is open; it keeps running (and refreshes its TURN
 * credentials from the broker before they expire) until the page closes.
 */
export async function master(
  options: PeerOptions & { readonly video?: MediaStream },
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const { connector } = countingConnector(options);
  let connection = await connector.connect('MASTER');
  let refreshing = false;
  /** The ICE servers for the next viewer, now; fresher ones are fetched in the background when due. */
  const iceServers = () => {
    if (!refreshing && connection.expiresAt.getTime() - Date.now() < ICE_REFRESH_MARGIN_MS) {
      refreshing = true;
      connector
        .connect('MASTER')
        .then((fresh) => {
          connection = fresh;
        })
        .catch((error: unknown) => log(`could not refresh the ICE servers: ${String(error)}`))
        .finally(() => {
          refreshing = false;
        });
    }
    return connection.iceServers;
  };
  const relayOnly = (pool: number): RTCConfiguration => ({
    iceServers: iceServers(),
    iceTransportPolicy: 'relay',
    iceCandidatePoolSize: pool,
  });
  /** The next viewer's peer connection, gathering ahead, and when its TURN credentials expire. */
  let spare: { pc: RTCPeerConnection; expiresAt: number } | undefined;
  const prepare = () => {
    spare?.pc.close();
    spare = { pc: new RTCPeerConnection(relayOnly(1)), expiresAt: connection.expiresAt.getTime() };
  };
  /** The spare, unless its credentials are about to expire; a new peer connection otherwise. */
  const take = (): RTCPeerConnection => {
    const ready = spare && spare.expiresAt - Date.now() > ICE_REFRESH_MARGIN_MS ? spare.pc : undefined;
    if (!ready) spare?.pc.close();
    spare = undefined;
    return ready ?? new RTCPeerConnection(relayOnly(0));
  };
  setInterval(() => {
    iceServers(); // starts a refresh when due
    if (spare && connection.expiresAt.getTime() > spare.expiresAt) prepare();
  }, SPARE_CHECK_MS);
  prepare();
  const client = signalingClient(connector, connection);
  const viewers = new Map<string, RTCPeerConnection>();
  const forget = (viewerId: string, pc: RTCPeerConnection) => {
    pc.close();
    if (viewers.get(viewerId) !== pc) return;
    viewers.delete(viewerId);
    log(`viewer ${viewerId} left`);
  };
  client.on('sdpOffer', async (offer: RTCSessionDescriptionInit, viewerId: string) => {
    log(`offer from viewer ${viewerId}`);
    viewers.get(viewerId)?.close();
    const pc = take();
    viewers.set(viewerId, pc);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) client.sendIceCandidate(candidate, viewerId);
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState !== 'connecting' && pc.connectionState !== 'new' && !spare) prepare();
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') forget(viewerId, pc);
    };
    pc.ondatachannel = ({ channel }) => {
      channel.onmessage = (event) => {
        log(`${viewerId}: ${String(event.data)}`);
        channel.send(`echo:${String(event.data)}`);
      };
      channel.onclose = () => forget(viewerId, pc);
    };
    await pc.setRemoteDescription(offer);
    await sendVideo(pc, options.video);
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.localDescription) client.sendSdpAnswer(pc.localDescription, viewerId);
  });
  client.on('iceCandidate', (candidate: RTCIceCandidateInit, viewerId: string) => {
    void viewers.get(viewerId)?.addIceCandidate(candidate);
  });
  await opened(client);
}

/**
 * A viewer: one broker call, then offer, answer and candidates through the signaling service,
 * and a relay-only data channel to the master; resolves with the echo of its message.
 */
export async function viewer(options: PeerOptions & { timeoutMs: number }): Promise<ViewerOutcome> {
  const started = performance.now();
  const { connector, requests } = countingConnector(options);
  const connection = await connector.connect('VIEWER');
  const client = signalingClient(connector, connection);
  const pc = new RTCPeerConnection({ iceServers: connection.iceServers, iceTransportPolicy: 'relay' });
  const channel = pc.createDataChannel('chat');
  pc.onicecandidate = ({ candidate }) => {
    if (candidate) client.sendIceCandidate(candidate);
  };
  client.on('sdpAnswer', (answer: RTCSessionDescriptionInit) => void pc.setRemoteDescription(answer));
  client.on('iceCandidate', (candidate: RTCIceCandidateInit) => void pc.addIceCandidate(candidate));
  const open = new Promise<number>((resolve) => {
    channel.onopen = () => resolve(performance.now());
  });
  await opened(client);
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.localDescription) client.sendSdpOffer(pc.localDescription);
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`no data channel within ${options.timeoutMs} ms`)), options.timeoutMs),
  );
  const openedAt = await Promise.race([open, timeout]);
  const brokerRequests = requests();
  const echo = new Promise<string>((resolve) => {
    channel.onmessage = (event) => resolve(String(event.data));
  });
  channel.send(`hello from ${connection.clientId}`);
  return {
    msToOpenDataChannel: Math.round(openedAt - started),
    brokerRequests,
    echo: await Promise.race([echo, timeout]),
    clientId: connection.clientId,
    ...(await selectedLocal(pc)),
  };
}

const byId = <T extends HTMLElement>(id: string, type: { new (): T }): T => {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`this page has no #${id}`);
  return element;
};

function setState(state: string, text: string): void {
  document.body.dataset.state = state;
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

const failure = (error: unknown) => `failed: ${error instanceof Error ? error.message : String(error)}`;

/**
 * The master with the page's video source: the test pattern drawn on `#pattern`, or the camera
 * shown in `#local` (the browser asks the person first). Resolves once listening.
 */
async function videoMaster(
  options: PeerOptions,
  source: VideoSource = 'pattern',
  log: (line: string) => void = () => undefined,
): Promise<void> {
  setState('connecting', `connecting as master (${source === 'camera' ? 'camera' : 'test pattern'})…`);
  let video: MediaStream;
  if (source === 'camera') {
    video = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: false });
    const preview = byId('local', HTMLVideoElement);
    preview.srcObject = video;
    preview.hidden = false;
  } else {
    const canvas = byId('pattern', HTMLCanvasElement);
    canvas.hidden = false;
    video = startTestPattern(canvas).stream;
  }
  byId('master-preview', HTMLElement).hidden = false;
  await master({ ...options, video }, log);
  setState('listening', 'master: listening for viewers, sending video');
}

/**
 * The viewer with video, on this page: shows the video in `#remote`, the phases in `#phases` and
 * as the body's `data-ms-*`, and the outcome in `data-state` (`connected` once the first frame
 * is shown and the master echoed the data channel's message).
 */
async function videoViewer(options: PeerOptions & { timeoutMs: number }): Promise<VideoOutcome> {
  setState('connecting', 'connecting as viewer…');
  byId('viewer-video', HTMLElement).hidden = false;
  const video = byId('remote', HTMLVideoElement);
  const outcome = await watchVideo({
    video,
    table: document.getElementById('phases') as HTMLTableElement | null,
    timeoutMs: options.timeoutMs,
    join: async () => {
      const { connector, requests } = countingConnector(options);
      const connection = await connector.connect('VIEWER');
      return {
        iceServers: connection.iceServers,
        client: signalingClient(connector, connection),
        clientId: connection.clientId,
        requests: requests(),
      };
    },
  });
  const dataset = document.body.dataset;
  dataset.relayProtocol = outcome.relayProtocol ?? '';
  dataset.localCandidateType = outcome.localCandidateType ?? '';
  dataset.timeToFirstFrameMs = String(outcome.msToFirstFrame);
  setState(
    'connected',
    `viewer ${outcome.clientId}: first frame ${outcome.msToFirstFrame} ms after the first API call ` +
      `(${outcome.requests} broker request, relay ${outcome.relayProtocol}); data channel: ${outcome.echo}`,
  );
  return outcome;
}

/**
 * The peers, plus a viewer's connection from the broker and the SDK's signaling connection opened
 * with a given URL (`open`, or `error` when KVS refuses it): what the browser tests and the
 * first-frame benchmark drive. `videoMaster` and `videoViewer` update the page as its form does.
 */
const demoApi = {
  master,
  viewer,
  videoMaster: (options: PeerOptions, source: VideoSource = 'pattern') => videoMaster(options, source),
  videoViewer: (options: PeerOptions & { timeoutMs: number }) =>
    videoViewer(options).catch((error: unknown) => {
      setState('failed', failure(error));
      throw error;
    }),
  /** How much of the test pattern the viewer's video shows now (see `pictureMatch`). */
  pictureMatch: () => pictureMatch(byId('remote', HTMLVideoElement)),
  stopWatching,
  viewerConnection: (options: PeerOptions): Promise<SignalingConnection> =>
    countingConnector(options).connector.connect('VIEWER'),
  async openWithUrl(connection: SignalingConnection, url: string): Promise<'open' | 'error'> {
    const config = { ...sdkConfig(connection), requestSigner: { getSignedURL: async () => url } };
    const client = new window.KVSWebRTC.SignalingClient(
      config as ConstructorParameters<typeof SdkSignalingClient>[0],
    );
    const outcome = await opened(client).then(
      () => 'open' as const,
      () => 'error' as const,
    );
    client.close();
    return outcome;
  },
};
window.kvsSignalingDemo = demoApi;

/** The page's form and log, when this script runs in the /demo/signaling page. */
function wirePage(form: HTMLFormElement): void {
  const config = JSON.parse(document.getElementById('demo-config')?.textContent ?? '{}') as {
    channels?: string[];
    authMode?: string;
  };
  const logList = document.getElementById('log');
  const channels = form.elements.namedItem('channel') as HTMLSelectElement;
  for (const name of config.channels ?? []) channels.add(new Option(name, name));
  const tokenField = document.getElementById('token-field');
  if (tokenField) tokenField.hidden = config.authMode !== 'jwt';
  const log = (line: string) => {
    const item = document.createElement('li');
    item.textContent = line;
    logList?.append(item);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const options = {
      baseUrl: location.origin,
      channel: String(data.get('channel')),
      token: String(data.get('token') ?? ''),
    };
    const role = data.get('role') === 'master' ? 'master' : 'viewer';
    const source: VideoSource = data.get('source') === 'camera' ? 'camera' : 'pattern';
    const run =
      role === 'master'
        ? videoMaster(options, source, log)
        : videoViewer({ ...options, timeoutMs: 30_000 }).then((outcome) => log(outcome.echo));
    run.catch((error: unknown) => setState('failed', failure(error)));
  });
}

const form = document.getElementById('signaling-settings');
if (form instanceof HTMLFormElement) wirePage(form);
