import { performance } from 'node:perf_hooks';
import type { IceServer } from '@kvs-ice-broker/client/contract';
import {
  type RTCIceCandidatePairStats,
  type RTCIceCandidateStats,
  RTCPeerConnection,
  type RTCStats,
  type RTCTransportStats,
} from 'werift';
import { pickWeriftTurnServer, type WeriftTurnTransport } from './werift-ice-servers';

export interface RelayChannelOptions {
  /** Reject when the echo has not come back within this long (default 15 s). */
  timeoutMs?: number;
  /** Use the TURN URI of this transport; default: the first one werift supports. */
  transport?: WeriftTurnTransport;
  /** PEM certificate(s) the TURN server's TLS certificate must chain to (for `turns:` to a self-signed relay). */
  tlsCa?: string | Buffer;
  /** What the offerer sends (default `ping`); the answerer echoes it back prefixed with `echo:`. */
  message?: string;
}

export interface RelayChannelResult {
  /** The echo the offerer received. */
  message: string;
  /** Candidate types of the selected pairs: offerer local, offerer remote, answerer local, answerer remote. */
  selectedCandidateTypes: string[];
  durationMs: number;
  /** The TURN URI both peers used. */
  turnUrl: string;
}

type Peer = RTCPeerConnection;

/** Trickles each peer's ICE candidates straight into the other one. */
function connectSignaling(
  offerer: Peer,
  answerer: Peer,
  gathered: Map<Peer, number>,
  errors: string[],
): void {
  for (const [from, to] of [
    [offerer, answerer],
    [answerer, offerer],
  ] as const) {
    from.onicecandidate = ({ candidate }) => {
      if (!candidate) return;
      gathered.set(from, (gathered.get(from) ?? 0) + 1);
      to.addIceCandidate(candidate).catch((error: unknown) => errors.push(String(error)));
    };
  }
}

/** Offer/answer in-process, then one message over a data channel and its echo back. */
async function exchange(offerer: Peer, answerer: Peer, message: string): Promise<string> {
  answerer.ondatachannel = ({ channel }) => {
    channel.onmessage = (event) => channel.send(`echo:${String(event.data)}`);
  };
  const channel = offerer.createDataChannel('relay-probe');
  const echo = new Promise<string>((resolve) => {
    channel.onmessage = (event) => resolve(String(event.data));
  });
  channel.onopen = () => channel.send(message);

  const offer = await offerer.createOffer();
  await offerer.setLocalDescription(offer);
  await answerer.setRemoteDescription(offer);
  const answer = await answerer.createAnswer();
  await answerer.setLocalDescription(answer);
  await offerer.setRemoteDescription(answer);
  return echo;
}

function isType<T extends RTCStats>(stats: RTCStats, type: T['type']): stats is T {
  return stats.type === type;
}

/** Types of the local and remote candidate of the peer's selected pair, from the standard stats. */
async function selectedPairTypes(peer: Peer): Promise<string[]> {
  const report = await peer.getStats();
  const all = [...report.values()];
  const pairId = all.find((s): s is RTCTransportStats => isType(s, 'transport'))?.selectedCandidatePairId;
  const pair = all.find((s): s is RTCIceCandidatePairStats => isType(s, 'candidate-pair') && s.id === pairId);
  if (!pair) throw new Error('werift reports no selected candidate pair');
  const typeOf = (id: string) =>
    all.find((s): s is RTCIceCandidateStats => s.id === id && 'candidateType' in s)?.candidateType ??
    'unknown';
  return [typeOf(pair.localCandidateId), typeOf(pair.remoteCandidateId)];
}

function iceProgress(peers: readonly Peer[], gathered: Map<Peer, number>, errors: readonly string[]): string {
  const states = peers.map(
    (peer, index) =>
      `${index === 0 ? 'offerer' : 'answerer'}: gathering ${peer.iceGatheringState}, ` +
      `ice ${peer.iceConnectionState}, ${gathered.get(peer) ?? 0} relay candidate(s)`,
  );
  const hint = peers.every((peer) => (gathered.get(peer) ?? 0) === 0)
    ? '; no relay candidate at all: the TURN server refused the allocation or is unreachable'
    : '';
  return `${states.join('; ')}${hint}${errors.length > 0 ? `; errors: ${errors.join(' | ')}` : ''}`;
}

/**
 * Two werift peers, both `iceTransportPolicy: 'relay'` with the same TURN URI and credentials, open a
 * data channel through the relay and exchange a message and its echo. Both peers are closed afterwards.
 * Rejects when the echo does not arrive within `timeoutMs`, saying how far ICE got.
 */
export async function openRelayDataChannel(
  iceServers: readonly IceServer[],
  options: RelayChannelOptions = {},
): Promise<RelayChannelResult> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 15_000;
  const turn = pickWeriftTurnServer(iceServers, options.transport);
  const config = {
    iceServers: [{ urls: turn.urls, username: turn.username, credential: turn.credential }],
    iceTransportPolicy: 'relay' as const,
    turnTlsOptions: options.tlsCa === undefined ? undefined : { ca: options.tlsCa },
  };
  const peers = [new RTCPeerConnection(config), new RTCPeerConnection(config)] as const;
  const [offerer, answerer] = peers;
  const gathered = new Map<Peer, number>();
  const errors: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    connectSignaling(offerer, answerer, gathered, errors);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const state = iceProgress(peers, gathered, errors);
        reject(new Error(`no relayed data channel via ${turn.urls} within ${timeoutMs} ms (${state})`));
      }, timeoutMs);
    });
    const message = await Promise.race([exchange(offerer, answerer, options.message ?? 'ping'), timeout]);
    const selectedCandidateTypes = [
      ...(await selectedPairTypes(offerer)),
      ...(await selectedPairTypes(answerer)),
    ];
    return {
      message,
      selectedCandidateTypes,
      durationMs: Math.round(performance.now() - started),
      turnUrl: turn.urls,
    };
  } finally {
    clearTimeout(timer);
    await Promise.allSettled(peers.map((peer) => peer.close()));
  }
}
