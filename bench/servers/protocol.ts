/**
 * Messages between a benchmark and the server it runs in a child process, over Node's IPC
 * channel. Not stdout: the broker's handler logs every request there, and bearer tokens must
 * not travel through anything that looks like a log.
 */

/** Sent once by the child when it serves. */
export interface ReadyMessage {
  readonly type: 'ready';
  /** Base URL of the HTTP server under test. */
  readonly url: string;
  /** The AWS emulator's base URL (broker only). */
  readonly emulatorUrl?: string;
  /** The child's own pid (for /proc sampling). */
  readonly pid: number;
  /** The live TURN relay (broker with `relay: true` only). */
  readonly relay?: RelayInfo;
  /** The emulated Region (broker only). */
  readonly region?: string;
  /** Channel name to ARN, as the emulator has them (broker only). */
  readonly channelArns?: Record<string, string>;
  /** The emulator's sample viewer user's keys (broker with `sampleViewerUser: true` only). */
  readonly sampleViewerCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The broker's coturn, as a benchmark may need it. */
export interface RelayInfo {
  /** The UDP and TCP listening port on 127.0.0.1 (`turn:`). */
  readonly port: number;
  /** The TLS and DTLS port (`turns:`). */
  readonly tlsPort: number;
  /** The local CA's certificate (PEM) that signs the relay's: what a browser must trust for `turns:`. */
  readonly caFile: string;
}

/** Asks the broker child for bearer tokens, one per JWT subject. */
export interface MintRequest {
  readonly type: 'mint';
  readonly id: number;
  readonly subjects: readonly string[];
  /** Channels every one of these tokens may master (the `master_channels` claim). */
  readonly masterChannels?: readonly string[];
}

export interface MintReply {
  readonly type: 'minted';
  readonly id: number;
  readonly tokens?: readonly string[];
  readonly error?: string;
}

/** What the broker child serves: the channels its emulator has and the API serves, and its auth mode. */
export interface BrokerConfig {
  readonly channels: readonly string[];
  readonly auth?: 'jwt';
  /**
   * Function instances, each a process running `instanceScript` (a bundle of
   * local/fleet/instance.ts); default one, in the broker process.
   */
  readonly instances?: number;
  readonly instanceScript?: string;
  /** Give the function the shared table (a local DynamoDB); default with more than one instance. */
  readonly sharedTable?: boolean;
  /** `SHARED_CACHE=true`: ICE answers shared through the table. */
  readonly sharedCache?: boolean;
  /**
   * Run coturn, as `npm start` does, so that the vended TURN servers relay; the broker fails to
   * start when coturn (`turnserver`) is not installed. Default: no relay.
   */
  readonly relay?: boolean;
  /** The signaling routes served (`-c signalingRoles`); default none. The master route needs `auth: 'jwt'`. */
  readonly signalingRoles?: readonly ('viewer' | 'master')[];
  /** Origins the API answers CORS for (`-c corsAllowOrigins`), e.g. the origin of a benchmark's pages. */
  readonly corsAllowOrigins?: readonly string[];
  /** The emulator's sample viewer user, whose keys a page may hold (the first-frame baseline). */
  readonly sampleViewerUser?: boolean;
}

/** Asks the broker child how many requests its local DynamoDB served (and to start counting again). */
export interface DynamoDbRequestsQuery {
  readonly type: 'dynamodb';
  readonly id: number;
  readonly reset: boolean;
}

export interface DynamoDbRequestsReply {
  readonly type: 'dynamodb-requests';
  readonly id: number;
  /** By operation; empty without a shared table. */
  readonly requests: Record<string, number>;
}

/** What the local API with a constant handler answers every request with. */
export interface ConstantConfig {
  readonly bodyBytes: number;
}

/** A JSON body of exactly `bytes` bytes (at least the 10 of the padding wrapper). */
export function paddedJson(bytes: number): string {
  const prefix = '{"pad":"';
  const suffix = '"}';
  return `${prefix}${'x'.repeat(Math.max(0, bytes - prefix.length - suffix.length))}${suffix}`;
}

type ChildMessage = ReadyMessage | MintReply | DynamoDbRequestsReply;

export const isChildMessage = (value: unknown): value is ChildMessage =>
  typeof value === 'object' && value !== null && 'type' in value;

/** Reads the JSON configuration a child was started with (its first argument). */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: node <server bundle> <json config>');
  return JSON.parse(raw) as T;
}

/** Runs `close` and exits once the parent goes away (IPC disconnect) or asks the child to stop. */
export function exitWith(close: () => Promise<void>): void {
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    close().finally(() => process.exit(0));
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
