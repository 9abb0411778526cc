import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { EndpointMode } from '../core/ice-servers';

/** The SDK's logger interface, as its HTTP handler uses it. */
interface SdkLogger {
  trace(...content: unknown[]): void;
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

/**
 * Options every AWS SDK client of the function is built with (spread into the client's
 * constructor): a `requestHandler` with keep-alive agents, `connectionTimeout` and
 * `requestTimeout` in milliseconds that abandon the attempt (`throwOnRequestTimeout`), the SDK
 * logger, `maxAttempts` (1: the vendor retries itself, within its deadline), and `retryMode`.
 */
export interface ClientDefaults {
  readonly requestHandler: {
    httpAgent: HttpAgent;
    httpsAgent: HttpsAgent;
    connectionTimeout: number;
    requestTimeout: number;
    /** Without it, the handler only logs a warning when `requestTimeout` passes, and waits on. */
    throwOnRequestTimeout: true;
    logger: SdkLogger;
  };
  readonly maxAttempts: number;
  /**
   * `standard`, given so that no client looks it up (`AWS_RETRY_MODE`, the config file, then the
   * defaults mode: a chain of lookups, each miss an error with a stack trace, for every new
   * client, and each scoped session makes two): `adaptive` would add a client-side rate limiter
   * that the vendor's own upstream budget already is.
   */
  readonly retryMode: 'standard';
}

export interface ClientSettings {
  /** Milliseconds to establish a connection before giving up. */
  readonly connectionTimeoutMs: number;
  /** Milliseconds an attempt may wait for the response before it is abandoned (a retryable timeout). */
  readonly requestTimeoutMs: number;
  /** SDK attempts per call (the SDK retries 5xx and socket errors, never KVS throttles). */
  readonly maxAttempts: number;
  /**
   * Where the SDK's HTTP handler reports trouble (such as "socket usage at capacity"), as one
   * message; by default it is dropped. The handler would otherwise write plain-text console lines.
   */
  readonly warn?: (message: string) => void;
}

/** Longest SDK message passed on: they are diagnostics, not payloads. */
const MAX_MESSAGE_LENGTH = 1000;

function sdkLogger(warn: (message: string) => void = () => undefined): SdkLogger {
  const report = (...content: unknown[]) => warn(content.map(String).join(' ').slice(0, MAX_MESSAGE_LENGTH));
  const drop = () => undefined;
  return { trace: drop, debug: drop, info: drop, warn: report, error: report };
}

/**
 * Settings every SDK client of the process shares: keep-alive agents (so STS and KVS
 * connections are reused across sessions and requests), timeouts that abort the attempt, and a
 * logger that keeps the SDK's HTTP handler off the console.
 */
export function clientDefaults(settings: ClientSettings): ClientDefaults {
  return {
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
      connectionTimeout: settings.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
      logger: sdkLogger(settings.warn),
    },
    maxAttempts: settings.maxAttempts,
    retryMode: 'standard',
  };
}

/** The AWS services whose endpoint the function's clients may be pointed at. */
export type AwsService = 'sts' | 'kinesisVideo' | 'ssm' | 'dynamodb';

/**
 * Where the function's SDK clients reach AWS, and as whom. In Lambda none is given: the SDK finds
 * the Region and the execution role's credentials in the runtime's environment. The local runner
 * points the clients at its emulator this way, instead of through `AWS_ENDPOINT_URL_*` variables.
 */
export interface AwsClientOptions {
  /** The Region of the STS, SSM and DynamoDB clients (each KVS client takes its channel's). */
  readonly region?: string;
  /** The execution role's credentials (the STS, SSM and DynamoDB clients'). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Endpoint URLs by service; the signaling client always takes the one KVS returns for the channel. */
  readonly endpoints?: Readonly<Partial<Record<AwsService, string>>>;
  /**
   * The endpoints the SDK resolves for a service without an endpoint URL: dual-stack and FIPS as the
   * settings `dualStack` and `fips` say (see {@link endpointSwitches}).
   * @default - IPv4-only, not FIPS
   */
  readonly mode?: EndpointMode;
}

/** The AWS SDK's switches between a service's endpoints, as a client's constructor takes them. */
export interface EndpointSwitches {
  readonly useDualstackEndpoint: boolean;
  readonly useFipsEndpoint: boolean;
}

/**
 * The SDK's `useDualstackEndpoint` and `useFipsEndpoint` for a client in `mode`, both given, so that
 * the SDK's own variables (`AWS_USE_DUALSTACK_ENDPOINT`, `AWS_USE_FIPS_ENDPOINT`) and config file
 * decide nothing: the settings do. Both are off for a client given an endpoint URL (the local
 * emulator's, or the signaling API's that KVS returned, already of the mode), which the SDK's
 * endpoint rules refuse to combine with either ("Invalid Configuration: FIPS and custom endpoint
 * are not supported"). Where each exists: the AWS SDKs and Tools Reference Guide, "Dual-stack and
 * FIPS endpoints", and lib/regions.ts.
 */
export function endpointSwitches(mode: EndpointMode | undefined, endpoint?: string): EndpointSwitches {
  const resolved = endpoint === undefined && mode !== undefined;
  return {
    useDualstackEndpoint: resolved && mode.dualStack,
    useFipsEndpoint: resolved && mode.fips,
  };
}

/**
 * The Region, credentials, endpoint and endpoint switches ({@link endpointSwitches}) that
 * {@link AwsClientOptions} give the client of `service`, to spread into its constructor.
 */
export function clientLocation(
  options: AwsClientOptions,
  service: AwsService,
): { region?: string; credentials?: AwsClientOptions['credentials']; endpoint?: string } & EndpointSwitches {
  const endpoint = options.endpoints?.[service];
  return {
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...endpointSwitches(options.mode, endpoint),
  };
}
