/**
 * The /demo/signaling page's script (bundled by local/demo/server.ts with the client library):
 * a master or a viewer of a signaling channel with the official KVS WebRTC JS SDK
 * (`window.KVSWebRTC`, its dist build, served beside the page), configured only from the broker's
 * signaling routes through `kvs-ice-broker/client` (`SignalingConnector`): no AWS credentials.
 * Open it twice, once as master and once (or more) as viewer: each viewer opens a relay-only data
 * channel to the master, which echoes what it receives. `document.body.dataset.state` tells
 * people and tests the outcome (idle, connecting, listening, connected, failed).
 */

import { type SignalingConnection, SignalingConnector, sdkConfig } from '@kvs-ice-broker/client';
import type { SignalingClient as SdkSignalingClient } from 'amazon-kinesis-video-streams-webrtc';
import { selectedPair } from './stats';

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

/** Resolves once the SDK's signaling connection is open; rejects when it fails or closes first. */
export function opened(client: SdkSignalingClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', () => reject(new Error('the signaling connection failed')));
    client.once('close', () => reject(new Error('the signaling connection closed before it opened')));
    client.open();
  });
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

/**
 * The master: answers every viewer's offer with a relay-only peer connection and echoes what
 * each viewer sends on its data channel. Resolves once its signaling connection is open.
 */
export async function master(
  options: PeerOptions,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  const { connector } = countingConnector(options);
  const connection = await connector.connect('MASTER');
  const client = signalingClient(connector, connection);
  const viewers = new Map<string, RTCPeerConnection>();
  client.on('sdpOffer', async (offer: RTCSessionDescriptionInit, viewerId: string) => {
    log(`offer from viewer ${viewerId}`);
    viewers.get(viewerId)?.close();
    const pc = new RTCPeerConnection({ iceServers: connection.iceServers, iceTransportPolicy: 'relay' });
    viewers.set(viewerId, pc);
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) client.sendIceCandidate(candidate, viewerId);
    };
    pc.ondatachannel = ({ channel }) => {
      channel.onmessage = (event) => {
        log(`${viewerId}: ${String(event.data)}`);
        channel.send(`echo:${String(event.data)}`);
      };
    };
    await pc.setRemoteDescription(offer);
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

/**
 * The peers, plus a viewer's connection from the broker and the SDK's signaling connection opened
 * with a given URL (`open`, or `error` when KVS refuses it): what the browser test drives.
 */
const demoApi = {
  master,
  viewer,
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
  const dataset = document.body.dataset;
  const status = document.getElementById('status');
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
  const setState = (state: string, text: string) => {
    dataset.state = state;
    if (status) status.textContent = text;
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
    setState('connecting', `connecting as ${role}…`);
    const run =
      role === 'master'
        ? master(options, log).then(() => setState('listening', 'master: listening for viewers'))
        : viewer({ ...options, timeoutMs: 30_000 }).then((outcome) => {
            dataset.timeToOpenMs = String(outcome.msToOpenDataChannel);
            dataset.relayProtocol = outcome.relayProtocol ?? '';
            log(`${outcome.echo} (relay ${outcome.relayProtocol}, ${outcome.brokerRequests} broker request)`);
            setState(
              'connected',
              `viewer ${outcome.clientId}: data channel open in ${outcome.msToOpenDataChannel} ms`,
            );
          });
    run.catch((error: unknown) =>
      setState('failed', `failed: ${error instanceof Error ? error.message : String(error)}`),
    );
  });
}

const form = document.getElementById('signaling-settings');
if (form instanceof HTMLFormElement) wirePage(form);
