import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ConnectAction } from '../../lambda/contract';
import { splitTarget } from '../http-server';
import { AwsError } from './errors';
import { FaultRegistry, type FaultTarget, faultError, type Sleeper } from './faults';
import type { ModelledError } from './model';
import { restJson } from './protocols';
import { admitArrival } from './quotas';
import { type AdmittedConnection, admitConnection, type ConnectExpectation } from './signaling-auth';
import type { StorageSignaling } from './storage-agent';
import type { ActiveFault } from './types';

/** What the signaling service asks the storage agent (the recording peer of channels that record media). */
export interface StorageRouting {
  readonly storesMedia: ReadonlySet<string>;
  /** Whether a viewer joined the channel's storage session: its messages then reach the agent. */
  hasViewer(channel: string, clientId: string): boolean;
  /** A message for the agent: from the master (`clientId` undefined) or a joined viewer. */
  receive(channel: string, clientId: string | undefined, action: string, payload: string): void;
}

/**
 * The KVS signaling service's limits, from the KVS WebRTC developer guide ("Signaling API
 * service quotas"): `ConnectAsMaster` and `ConnectAsViewer` 3 TPS per channel each (hard); 1
 * master (hard) and 10 viewers (soft) connected per channel; a connection lasts at most 1 hour and
 * is closed after 10 minutes without a message (both hard), and `GO_AWAY` comes 1 minute before a
 * connection is closed. Per connection, `SDP_OFFER` and `SDP_ANSWER` 5 TPS and `ICE_CANDIDATE`
 * 20 TPS (hard), each message payload at most 10K (base64) characters. Durations are configurable
 * so tests need not wait an hour.
 */
export const SIGNALING_LIMITS = {
  connectsPerSecondPerChannel: 3,
  viewersPerChannel: 10,
  maxConnectionMs: 3600_000,
  idleTimeoutMs: 600_000,
  goAwayGraceMs: 60_000,
  messagesPerSecond: { SDP_OFFER: 5, SDP_ANSWER: 5, ICE_CANDIDATE: 20 },
  maxPayloadLength: 10 * 1024,
} as const;

/** The signaling service's limits; each defaults to {@link SIGNALING_LIMITS}. */
export interface SignalingLimits {
  readonly connectsPerSecondPerChannel?: number;
  readonly viewersPerChannel?: number;
  readonly maxConnectionMs?: number;
  readonly idleTimeoutMs?: number;
  readonly goAwayGraceMs?: number;
}

/**
 * The errors of `ConnectAsMaster` and `ConnectAsViewer` (KVS WebRTC developer guide, "WebSocket
 * APIs"; no AWS SDK models them): what a Connect fault may answer.
 */
const CONNECT_ERRORS: readonly ModelledError[] = [
  { code: 'InvalidArgumentException', status: 400, messageMember: 'message' },
  { code: 'AccessDeniedException', status: 403, messageMember: 'message' },
  { code: 'ResourceNotFoundException', status: 404, messageMember: 'message' },
  { code: 'ClientLimitExceededException', status: 400, messageMember: 'message' },
];
const CONNECT_FAULT_TARGET: FaultTarget = { errors: CONNECT_ERRORS, perChannel: true };

/** The actions a client may send (`action`), as KVS names them. */
const ACTIONS = ['SDP_OFFER', 'SDP_ANSWER', 'ICE_CANDIDATE'] as const;
type Action = (typeof ACTIONS)[number];
/** `correlationId` and `recipientClientId`: `[a-zA-Z0-9_.-]{1,256}`. */
const ID = /^[a-zA-Z0-9_.-]{1,256}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** A WebSocket frame larger than any valid message (a payload of 10K plus the envelope) is refused. */
const MAX_FRAME_BYTES = 16 * 1024;

/** The signaling service's counters (`GET /_emulator/signaling`). */
export interface SignalingStats {
  /** Handshakes that passed every check, per Connect action. */
  connects: Record<ConnectAction, number>;
  /** Refused handshakes, by error code (`AccessDeniedException`, `ClientLimitExceededException`, …). */
  refused: Record<string, number>;
  /** Messages delivered, by type. */
  delivered: Record<string, number>;
  /** `STATUS_RESPONSE`s sent, by error type. */
  statusResponses: Record<string, number>;
  /** `GO_AWAY`s sent. */
  goAways: number;
  /**
   * Connections that a newer one took precedence over (a new master, or a viewer with the same
   * ClientId): they stay open, but nothing is delivered to them any more.
   */
  superseded: number;
  /** Handshakes answered by an injected fault, per Connect action. */
  faultsInjected: Record<ConnectAction, number>;
  /** Per channel name: whether a master is connected, and the connected viewers' ClientIds. */
  channels: Record<string, { master: boolean; viewers: string[] }>;
}

/** A connected peer. */
interface Peer {
  readonly socket: WebSocket;
  readonly channel: string;
  /** The viewer's ClientId; undefined for the master. */
  readonly clientId?: string;
  /** Per action, the send times (real ms) of the last second, for the per-connection rates. */
  readonly sent: Map<Action, number[]>;
  readonly timers: NodeJS.Timeout[];
  idle?: NodeJS.Timeout;
}

interface ChannelState {
  master?: Peer;
  readonly viewers: Map<string, Peer>;
  /** Per Connect action, the admitted handshakes' times (real ms) of the last second. */
  readonly connects: Map<ConnectAction, number[]>;
}

/** What the signaling service needs from the emulator. */
export interface SignalingServiceOptions extends ConnectExpectation {
  /** Channel name to ARN: the channels that exist. */
  readonly channelArns: ReadonlyMap<string, string>;
  readonly limits?: SignalingLimits;
  /** Delays of injected fault latency (cancelled when the emulator closes). */
  readonly sleeper: Sleeper;
  /** Monotonic milliseconds the Connect and message rates are counted in (`EmulatorOptions.rateClock`). */
  readonly rateClock: () => number;
}

/** The signaling service's control: counters and faults of the two Connect actions. */
export interface SignalingControl {
  stats(): SignalingStats;
  /** Sets (or with `null` clears) the fault of a Connect action; throws `FaultValidationError`. */
  setFault(action: ConnectAction, fault: unknown): void;
  /** The active faults by Connect action. */
  faults(): Partial<Record<ConnectAction, ActiveFault>>;
  clearFaults(): void;
}

const count = (record: Record<string, number>, key: string) => {
  record[key] = (record[key] ?? 0) + 1;
};

/**
 * A local KVS signaling service: the WebSocket endpoints `GetSignalingChannelEndpoint` returns
 * for protocol WSS (one per role, each on its own port as KVS has a host per role, the WebSocket
 * at path `/`), with the handshake checks of
 * {@link admitConnection}, the message protocol (`SDP_OFFER`, `SDP_ANSWER`, `ICE_CANDIDATE` with
 * base64 payloads routed by `recipientClientId`, delivered with the sender's `senderClientId`;
 * `STATUS_RESPONSE` for a message that cannot be delivered, when it carried a `correlationId`),
 * one master per channel and one connection per viewer ClientId that messages reach (the newest
 * takes precedence; the older stays open, unreached), and the limits of {@link SIGNALING_LIMITS}.
 */
export class SignalingService implements SignalingControl, StorageSignaling {
  private storage?: StorageRouting;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly channels = new Map<string, ChannelState>();
  private readonly faultRegistry = new FaultRegistry<ConnectAction>({
    ConnectAsMaster: CONNECT_FAULT_TARGET,
    ConnectAsViewer: CONNECT_FAULT_TARGET,
  });
  private readonly limits: Required<SignalingLimits>;
  private counters = SignalingService.emptyCounters();

  constructor(private readonly options: SignalingServiceOptions) {
    this.limits = { ...SIGNALING_LIMITS, ...options.limits };
  }

  private static emptyCounters() {
    return {
      connects: { ConnectAsMaster: 0, ConnectAsViewer: 0 },
      refused: {} as Record<string, number>,
      delivered: {} as Record<string, number>,
      statusResponses: {} as Record<string, number>,
      goAways: 0,
      superseded: 0,
      faultsInjected: { ConnectAsMaster: 0, ConnectAsViewer: 0 },
    };
  }

  /**
   * The `upgrade` listener of the endpoint of one role (`ConnectAsMaster` or `ConnectAsViewer`, as
   * KVS's master and viewer hosts are): signaling handshakes at path `/`, anything else gets 404.
   */
  upgradeListener(action: ConnectAction): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
    return (req, socket, head) => {
      this.upgrade(action, req, socket, head).catch(() =>
        refuse(socket, new AwsError('InternalFailure', 500, 'internal error')),
      );
    };
  }

  private async upgrade(
    action: ConnectAction,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const { path, query } = splitTarget(req.url ?? '/');
    if (path !== '/' || req.method !== 'GET') {
      return refuse(
        socket,
        new AwsError('UnknownOperationException', 404, `No WebSocket endpoint at ${path}`),
      );
    }
    let admitted: AdmittedConnection;
    try {
      admitted = await admitConnection({ action, path, query, host: req.headers.host }, this.options);
      if (this.options.channelArns.get(admitted.channel) !== admitted.channelArn) {
        throw new AwsError(
          'ResourceNotFoundException',
          404,
          'The requested channel is not found or not active.',
        );
      }
      const fault = this.faultRegistry.take(action, admitted.channel);
      if (fault) {
        this.counters.faultsInjected[action]++;
        if (fault.latencyMs) await this.options.sleeper.sleep(fault.latencyMs);
        if (fault.kind === 'drop') return void socket.destroy();
        // A handshake has no body to malform: a malformed answer is a server error.
        const kind = fault.kind === 'malformed' ? 'serverError' : fault.kind;
        const injected = faultError({ ...fault, kind }, CONNECT_ERRORS, restJson);
        if (injected) throw injected;
      }
      this.checkLimits(admitted);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      count(this.counters.refused, error.code);
      return refuse(socket, error);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, admitted));
  }

  /** The Connect rate of the channel, and (for a new viewer) the viewers per channel. */
  private checkLimits({ action, channel, clientId }: AdmittedConnection): void {
    const state = this.channel(channel);
    const times = state.connects.get(action) ?? [];
    state.connects.set(action, times);
    if (!admitArrival(times, this.limits.connectsPerSecondPerChannel, this.options.rateClock())) {
      throw new AwsError(
        'ClientLimitExceededException',
        400,
        `${action} is limited to ${this.limits.connectsPerSecondPerChannel} TPS per channel.`,
      );
    }
    const replacing = clientId !== undefined && state.viewers.has(clientId);
    if (action === 'ConnectAsViewer' && !replacing && state.viewers.size >= this.limits.viewersPerChannel) {
      throw new AwsError(
        'ClientLimitExceededException',
        400,
        `At most ${this.limits.viewersPerChannel} viewers may connect to a channel.`,
      );
    }
  }

  private channel(name: string): ChannelState {
    let state = this.channels.get(name);
    if (!state) {
      state = { viewers: new Map(), connects: new Map() };
      this.channels.set(name, state);
    }
    return state;
  }

  private connected(socket: WebSocket, admitted: AdmittedConnection): void {
    this.counters.connects[admitted.action]++;
    const state = this.channel(admitted.channel);
    const peer: Peer = {
      socket,
      channel: admitted.channel,
      clientId: admitted.clientId,
      sent: new Map(),
      timers: [],
    };
    // The most recent connection takes precedence (KVS WebRTC developer guide, ConnectAsMaster and
    // ConnectAsViewer: "the most recent request takes precedence", "the new connection takes
    // precedence. The connection metadata is overwritten"): messages for the master, or for the
    // viewer's ClientId, go to it alone. The guide does not say that KVS closes the older socket,
    // so the emulator does not: it stays open, receives nothing, and ends as any connection does
    // (its idle timeout, its maximum duration, or its client).
    const previous = peer.clientId === undefined ? state.master : state.viewers.get(peer.clientId);
    if (peer.clientId === undefined) state.master = peer;
    else state.viewers.set(peer.clientId, peer);
    if (previous) this.counters.superseded++;
    const { maxConnectionMs, goAwayGraceMs } = this.limits;
    peer.timers.push(
      setTimeout(() => this.goAway(peer), Math.max(0, maxConnectionMs - goAwayGraceMs)),
      setTimeout(() => socket.close(1000, 'maximum connection duration reached'), maxConnectionMs),
    );
    this.touch(peer);
    socket.on('message', (data, isBinary) => {
      this.touch(peer);
      this.receive(peer, isBinary ? undefined : data.toString());
    });
    socket.on('ping', () => this.touch(peer));
    socket.on('error', () => socket.terminate());
    socket.on('close', () => this.disconnected(peer));
  }

  /** Restarts the idle timer: a connection with no message for `idleTimeoutMs` is closed. */
  private touch(peer: Peer): void {
    if (peer.idle) clearTimeout(peer.idle);
    peer.idle = setTimeout(() => peer.socket.close(1000, 'idle timeout'), this.limits.idleTimeoutMs);
  }

  private goAway(peer: Peer): void {
    this.counters.goAways++;
    send(peer.socket, { messageType: 'GO_AWAY', messagePayload: '' });
  }

  private disconnected(peer: Peer): void {
    for (const timer of peer.timers) clearTimeout(timer);
    if (peer.idle) clearTimeout(peer.idle);
    const state = this.channels.get(peer.channel);
    if (!state) return;
    if (peer.clientId === undefined) {
      if (state.master === peer) state.master = undefined;
    } else if (state.viewers.get(peer.clientId) === peer) {
      state.viewers.delete(peer.clientId);
    }
  }

  /** One client message: validated, rate-limited, delivered; else a STATUS_RESPONSE if it had a correlationId. */
  private receive(peer: Peer, text: string | undefined): void {
    let message: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = text === undefined ? undefined : JSON.parse(text);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
        message = parsed as Record<string, unknown>;
    } catch {
      message = undefined;
    }
    const correlationId =
      typeof message?.correlationId === 'string' && ID.test(message.correlationId)
        ? message.correlationId
        : undefined;
    const problem =
      message === undefined ? invalid('The message is not a JSON object.') : this.deliver(peer, message);
    if (problem === undefined) return;
    count(this.counters.statusResponses, problem.code);
    if (correlationId === undefined) return;
    send(peer.socket, {
      messageType: 'STATUS_RESPONSE',
      statusResponse: {
        correlationId,
        errorType: problem.code,
        statusCode: String(problem.status),
        description: problem.message,
      },
    });
  }

  /** Delivers a valid message to its recipient; returns what is wrong with it otherwise. */
  private deliver(peer: Peer, message: Record<string, unknown>): AwsError | undefined {
    const { action, messagePayload, recipientClientId, correlationId } = message;
    if (!ACTIONS.includes(action as Action)) return invalid(`action must be one of ${ACTIONS.join(', ')}.`);
    if (
      typeof messagePayload !== 'string' ||
      messagePayload.length === 0 ||
      messagePayload.length > SIGNALING_LIMITS.maxPayloadLength ||
      !BASE64.test(messagePayload)
    ) {
      return invalid(
        `messagePayload must be 1 to ${SIGNALING_LIMITS.maxPayloadLength} characters of base64.`,
      );
    }
    if (correlationId !== undefined && (typeof correlationId !== 'string' || !ID.test(correlationId))) {
      return invalid('correlationId must match [a-zA-Z0-9_.-]{1,256}.');
    }
    const times = peer.sent.get(action as Action) ?? [];
    peer.sent.set(action as Action, times);
    const perSecond = SIGNALING_LIMITS.messagesPerSecond[action as Action];
    if (!admitArrival(times, perSecond, this.options.rateClock())) {
      return new AwsError(
        'ClientLimitExceededException',
        400,
        `${String(action)} is limited to ${perSecond} TPS per connection.`,
      );
    }
    const state = this.channel(peer.channel);
    const { storage } = this;
    // A channel that records media: the master and the joined viewers talk to the recording peer,
    // and a viewer that has not joined the storage session cannot reach the master.
    if (storage?.storesMedia.has(peer.channel)) {
      const toAgent =
        peer.clientId === undefined
          ? recipientClientId === STORAGE_AGENT
          : storage.hasViewer(peer.channel, peer.clientId);
      if (toAgent) {
        count(this.counters.delivered, String(action));
        storage.receive(peer.channel, peer.clientId, String(action), messagePayload);
        return undefined;
      }
      if (peer.clientId !== undefined) {
        return invalid(
          'The channel records media: viewers reach it through its storage session (JoinStorageSessionAsViewer), not the master.',
        );
      }
    }
    let recipient: Peer | undefined;
    if (peer.clientId === undefined) {
      // The master names the viewer; a viewer's recipientClientId is ignored (it can only reach the master).
      if (typeof recipientClientId !== 'string' || !ID.test(recipientClientId)) {
        return invalid('recipientClientId is required when the master sends.');
      }
      recipient = state.viewers.get(recipientClientId);
      if (!recipient) return invalid(`No viewer ${recipientClientId} is connected to the channel.`);
    } else {
      recipient = state.master;
      if (!recipient) return invalid('No master is connected to the channel.');
    }
    count(this.counters.delivered, String(action));
    send(recipient.socket, {
      messageType: action,
      messagePayload,
      ...(peer.clientId !== undefined ? { senderClientId: peer.clientId } : {}),
    });
    return undefined;
  }

  /** Routes messages to and from the storage agent (the recording peer), as KVS does for channels that record media. */
  attachStorage(storage: StorageRouting): void {
    this.storage = storage;
  }

  hasMaster(channel: string): boolean {
    return this.channels.get(channel)?.master !== undefined;
  }

  hasViewer(channel: string, clientId: string): boolean {
    return this.channels.get(channel)?.viewers.has(clientId) ?? false;
  }

  toMaster(channel: string, action: 'SDP_OFFER' | 'ICE_CANDIDATE', payload: string): void {
    const master = this.channels.get(channel)?.master;
    if (!master) return;
    count(this.counters.delivered, action);
    send(master.socket, { messageType: action, messagePayload: payload, senderClientId: STORAGE_AGENT });
  }

  toViewer(channel: string, clientId: string, action: 'SDP_OFFER' | 'ICE_CANDIDATE', payload: string): void {
    const viewer = this.channels.get(channel)?.viewers.get(clientId);
    if (!viewer) return;
    count(this.counters.delivered, action);
    send(viewer.socket, { messageType: action, messagePayload: payload });
  }

  stats(): SignalingStats {
    const c = this.counters;
    return {
      connects: { ...c.connects },
      refused: { ...c.refused },
      delivered: { ...c.delivered },
      statusResponses: { ...c.statusResponses },
      goAways: c.goAways,
      superseded: c.superseded,
      faultsInjected: { ...c.faultsInjected },
      channels: Object.fromEntries(
        [...this.channels].map(([name, state]) => [
          name,
          { master: state.master !== undefined, viewers: [...state.viewers.keys()] },
        ]),
      ),
    };
  }

  /** Zeroes the counters (the connections stay). */
  resetStats(): void {
    this.counters = SignalingService.emptyCounters();
  }

  setFault(action: ConnectAction, fault: unknown): void {
    this.faultRegistry.set(action, fault);
  }

  faults(): Partial<Record<ConnectAction, ActiveFault>> {
    return this.faultRegistry.list();
  }

  clearFaults(): void {
    this.faultRegistry.clear();
  }

  /** Closes every connection (code 1001, going away) and the WebSocket server. */
  close(): Promise<void> {
    for (const client of this.wss.clients) client.close(1001, 'the emulator is stopping');
    for (const client of this.wss.clients) client.terminate();
    for (const state of this.channels.values()) {
      for (const peer of [state.master, ...state.viewers.values()]) {
        if (!peer) continue;
        for (const timer of peer.timers) clearTimeout(timer);
        if (peer.idle) clearTimeout(peer.idle);
      }
    }
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

/**
 * The recording peer's ClientId toward the master (local/emulator/storage-agent.ts): the emulator's
 * choice, `AWS_`-prefixed as KVS keeps that prefix from viewers; KVS's own is not documented.
 */
export const STORAGE_AGENT_CLIENT_ID = 'AWS_KVS_STORAGE_AGENT_EMULATOR';
const STORAGE_AGENT = STORAGE_AGENT_CLIENT_ID;

const invalid = (message: string) => new AwsError('InvalidArgumentException', 400, message);

function send(socket: WebSocket, message: unknown): void {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

/** Answers a refused handshake with KVS's HTTP status and error, then closes the socket. */
function refuse(socket: Duplex, error: AwsError): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ message: error.message });
  socket.end(
    `HTTP/1.1 ${error.status} ${error.code}\r\n` +
      `content-type: application/json\r\nx-amzn-errortype: ${error.code}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
