/**
 * A KVS viewer that receives the master's video, and the clock of what its user waits for: from
 * its first network call to its first decoded frame. Shared by the /demo/signaling page (the
 * broker's path: one call to the broker) and the first-frame benchmark's baseline page
 * (bench/pages/keys-viewer.ts: AWS keys in the page, the KVS calls made with the AWS SDK), so that
 * the two differ only in how they get their ICE servers and signaling URL. Both are bundled with
 * this module by esbuild; it only uses the official KVS WebRTC SDK's `SignalingClient` it is given.
 */

import type { SignalingClient as SdkSignalingClient } from 'amazon-kinesis-video-streams-webrtc';
import { selectedPair } from './stats';

/** Resolves once the SDK's signaling connection is open; rejects when it fails or closes first. */
export function opened(client: SdkSignalingClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', () => reject(new Error('the signaling connection failed')));
    client.once('close', () => reject(new Error('the signaling connection closed before it opened')));
    client.open();
  });
}

/**
 * The phases of a viewer's join, in the order they usually happen; each is measured in
 * milliseconds from the viewer's first network call.
 */
export const PHASES = {
  apiAnswered: 'API answered (ICE servers and signaling endpoint known)',
  urlSigned: 'signaling URL signed (the SDK opens its WebSocket)',
  signalingOpen: 'signaling WebSocket open',
  firstRelayCandidate: 'first relay candidate gathered',
  iceGathered: 'ICE gathering done',
  iceConnected: 'ICE connected (through the relay)',
  dataChannelOpen: 'data channel open',
  firstFrame: 'first video frame decoded and shown',
} as const;

/** A phase of {@link PHASES}. */
export type Phase = keyof typeof PHASES;

/** The phases reached, in milliseconds (0.1 ms resolution) from the first network call. */
export type Phases = Partial<Record<Phase, number>>;

/** `data-ms-<phase>` on the body: the dataset key of a phase (`msApiAnswered`). */
export const phaseKey = (phase: Phase): string => `ms${phase.charAt(0).toUpperCase()}${phase.slice(1)}`;

/** What a viewer has once its API calls are done. */
export interface Joined {
  readonly iceServers: RTCIceServer[];
  /** The official SDK's client for the viewer's WebSocket, not yet opened. */
  readonly client: SdkSignalingClient;
  readonly clientId?: string;
  /** Requests the page sent to get them (CORS preflights not counted). */
  readonly requests: number;
}

/** What a video viewer needs: how it joins (its API calls), where it shows the video and the phases. */
export interface VideoViewerOptions {
  /** Its API calls, the clock's start: the broker's one, or the KVS calls. */
  readonly join: () => Promise<Joined>;
  readonly video: HTMLVideoElement;
  /** The table the phases are listed in, as they happen; the body's dataset has them as `data-ms-*`. */
  readonly table?: HTMLTableElement | null;
  readonly timeoutMs: number;
}

/** What a video viewer saw. */
export interface VideoOutcome {
  readonly phases: Phases;
  /** Milliseconds from the first network call to the first decoded video frame. */
  readonly msToFirstFrame: number;
  readonly clientId: string | undefined;
  readonly requests: number;
  /** The master's echo of this viewer's message over the data channel. */
  readonly echo: string;
  /** `relayProtocol` of the local candidate of the selected pair (`udp`, `tcp`, `tls`). */
  readonly relayProtocol: string | undefined;
  readonly localCandidateType: string | undefined;
}

/** How often the page updates the frames-decoded count once the video plays. */
const STATS_INTERVAL_MS = 500;

/** A running viewer: its peer connection, its signaling client, the timer of its frame count. */
interface Session {
  readonly pc: RTCPeerConnection;
  readonly client: SdkSignalingClient;
  timer?: ReturnType<typeof setInterval>;
}

/** The viewer this page runs: closed by {@link stopWatching} or when another starts. */
let current: Session | undefined;

/** Closes the page's viewer (its peer connection, its signaling connection), if one runs. */
export function stopWatching(): void {
  if (!current) return;
  clearInterval(current.timer);
  current.pc.close();
  current.client.close();
  current = undefined;
}

/** Writes the phases on the body (`data-ms-*`) and in `table`, as they happen. */
function phaseRecorder(table: HTMLTableElement | null | undefined) {
  const started = performance.now();
  const phases: Phases = {};
  const dataset = document.body.dataset;
  // The clock's start on the page's timeline (performance.now()), to lay Resource Timing entries on it.
  dataset.clockStart = String(started);
  for (const phase of Object.keys(PHASES) as Phase[]) delete dataset[phaseKey(phase)];
  delete dataset.framesDecoded;
  const body = table?.tBodies[0] ?? table?.createTBody();
  body?.replaceChildren();
  return {
    phases,
    /** Records a phase the first time it is reached. */
    mark(phase: Phase): void {
      if (phases[phase] !== undefined) return;
      const ms = Math.round((performance.now() - started) * 10) / 10;
      phases[phase] = ms;
      dataset[phaseKey(phase)] = String(ms);
      const row = body?.insertRow();
      row?.insertCell().append(PHASES[phase]);
      row?.insertCell().append(`${ms.toFixed(1)} ms`);
    },
  };
}

/**
 * Calls `created` when the page creates a WebSocket, then puts the browser's own constructor
 * back. The SDK signs its URL inside `open()` and creates its WebSocket right after: this is the
 * only way to see when signing ended without replacing the SDK's signer.
 */
function whenWebSocketCreated(created: () => void): () => void {
  const Native = window.WebSocket;
  const restore = () => {
    window.WebSocket = Native;
  };
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      restore();
      created();
    }
  };
  return restore;
}

/** Frames the peer connection decoded so far (getStats' inbound-rtp video entry). */
async function framesDecoded(pc: RTCPeerConnection): Promise<number> {
  let frames = 0;
  for (const entry of (await pc.getStats()).values()) {
    const stats = entry as { type: string; kind?: string; framesDecoded?: number };
    if (stats.type === 'inbound-rtp' && stats.kind === 'video') frames += stats.framesDecoded ?? 0;
  }
  return frames;
}

/** Rejects after `ms` with what was reached by then. */
function deadline(ms: number, phases: Phases): { promise: Promise<never>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reached = Object.entries(phases)
        .map(([phase, at]) => `${phase} ${at} ms`)
        .join(', ');
      reject(new Error(`no video frame within ${ms} ms (reached: ${reached || 'nothing'})`));
    }, ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/**
 * Joins as a viewer and waits for the first video frame: the API calls (`join`), then, as the
 * KVS samples' viewer does, a relay-only peer connection that receives video and opens a data
 * channel, the SDK's signaling connection, and on its `open` the offer; candidates trickle both
 * ways. Unlike the samples, the peer connection gathers its relay candidates from the moment it
 * exists (`iceCandidatePoolSize: 1`), while the SDK signs and opens its WebSocket. Resolves with
 * the phases once the first frame is shown and the master echoed the data channel's message;
 * keeps the video playing (and the body's `data-frames-decoded` counting) until
 * {@link stopWatching}. Rejects, and closes what it opened, when `timeoutMs` passes first.
 */
export async function watchVideo(options: VideoViewerOptions): Promise<VideoOutcome> {
  stopWatching();
  const recorder = phaseRecorder(options.table);
  const { mark, phases } = recorder;
  const timeout = deadline(options.timeoutMs, phases);
  try {
    const joined = await Promise.race([options.join(), timeout.promise]);
    mark('apiAnswered');
    const { client } = joined;
    const pc = new RTCPeerConnection({
      iceServers: joined.iceServers,
      iceTransportPolicy: 'relay',
      iceCandidatePoolSize: 1,
    });
    const session: Session = { pc, client };
    current = session;
    pc.addTransceiver('video', { direction: 'recvonly' });
    const channel = pc.createDataChannel('chat');
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (!candidate) return mark('iceGathered');
      if (candidate.type === 'relay') mark('firstRelayCandidate');
      client.sendIceCandidate(candidate);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed')
        mark('iceConnected');
    });
    const { video } = options;
    const firstFrame = new Promise<void>((resolve) => {
      pc.addEventListener('track', ({ track, streams }) => {
        video.srcObject = streams[0] ?? new MediaStream([track]);
        video.requestVideoFrameCallback(() => {
          mark('firstFrame');
          resolve();
        });
      });
    });
    const echo = new Promise<string>((resolve) => {
      channel.addEventListener('open', () => {
        mark('dataChannelOpen');
        channel.send(`hello from ${joined.clientId ?? 'a viewer'}`);
      });
      channel.addEventListener('message', (event) => resolve(String(event.data)));
    });
    client.on('sdpAnswer', (answer: RTCSessionDescriptionInit) => void pc.setRemoteDescription(answer));
    client.on('iceCandidate', (candidate: RTCIceCandidateInit) => void pc.addIceCandidate(candidate));
    const restore = whenWebSocketCreated(() => mark('urlSigned'));
    try {
      await Promise.race([opened(client), timeout.promise]);
    } finally {
      restore();
    }
    mark('signalingOpen');
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.localDescription) client.sendSdpOffer(pc.localDescription);
    const [said] = await Promise.race([Promise.all([echo, firstFrame]), timeout.promise]);
    const update = () =>
      framesDecoded(pc).then((frames) => {
        document.body.dataset.framesDecoded = String(frames);
      });
    await update();
    session.timer = setInterval(() => void update(), STATS_INTERVAL_MS);
    const { local } = await selectedPair(pc);
    return {
      phases: { ...phases },
      msToFirstFrame: phases.firstFrame ?? Number.NaN,
      clientId: joined.clientId,
      requests: joined.requests,
      echo: said,
      relayProtocol: local?.relayProtocol,
      localCandidateType: local?.candidateType,
    };
  } catch (error) {
    stopWatching();
    throw error;
  } finally {
    timeout.clear();
  }
}
