import { type AwsCredentialsSource, IceServerClient, IceServerError } from '@kvs-ice-broker/client';
import {
  type IceServer,
  type IceServersAnswer,
  iceServersPath,
  type Transport,
  transportOf,
} from '@kvs-ice-broker/client/contract';
import type { AnswerValidator } from './openapi';
import { type AllocateOutcome, type AllocateRequest, turnAllocate } from './turn-allocate';

/** What `kvs-ice-broker check` checks. */
export interface CheckOptions {
  /** The API's base URL (the stack's `ApiUrl` output, or the local runner's). */
  readonly url: string;
  readonly channel: string;
  /** `jwt` deployments: the bearer token to send. */
  readonly token?: string;
  /** `iam` deployments: SigV4 with these credentials, for this Region. */
  readonly iam?: { readonly credentials: AwsCredentialsSource; readonly region: string };
  /** Milliseconds for the API call, and again for each TURN Allocate. */
  readonly timeoutMs: number;
  /** PEM certificates to trust for TLS to the relays (a local relay's CA). */
  readonly ca?: string | Buffer;
  /** Checks the answer against docs/openapi.json. */
  readonly validator: AnswerValidator;
  /** Performs one Allocate; default werift's TURN client ({@link turnAllocate}). */
  readonly allocate?: (request: AllocateRequest) => Promise<AllocateOutcome>;
}

/** How one TURN URI fared. `rttMs` is the time to a completed Allocate (connection and both round trips). */
export interface UriCheck {
  readonly uri: string;
  /** `udp`, `tcp`, `tls` (TLS over TCP), `dtls`, or `unknown` for a URI the check cannot read. */
  readonly transport: Transport | 'unknown';
  readonly result: 'ok' | 'failed' | 'not checked';
  readonly rttMs: number | null;
  /** Why it failed or was not checked; null when it relayed. */
  readonly reason: string | null;
}

/**
 * The check's findings; `--json` prints exactly this shape, keys in this order (only the numbers
 * and reasons change from run to run). Holds no credential and no token.
 */
export interface CheckReport {
  /** True when the API answered 200 as documented and every checkable TURN URI allocated. */
  readonly ok: boolean;
  /** The ice-servers route that was called. */
  readonly url: string;
  readonly channel: string;
  readonly api: {
    readonly status: number | null;
    readonly latencyMs: number | null;
    /** Whether the answer matches docs/openapi.json for its status. */
    readonly contract: 'valid' | 'invalid' | 'not checked';
    /** Why the API step failed; null when it passed. */
    readonly reason: string | null;
  };
  /** Seconds of validity of the returned credentials; null without an answer. */
  readonly ttl: number | null;
  readonly uris: readonly UriCheck[];
}

const DEFAULT_PORTS = { turn: 3478, turns: 5349 } as const;
const URI_PATTERN = /^(turns?):(\[[0-9a-fA-F:.]+\]|[^:?[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/;

/** Host and port of a `turn:` / `turns:` URI (RFC 7065), or undefined when it is not one. */
export function turnEndpoint(uri: string): { host: string; port: number } | undefined {
  const match = URI_PATTERN.exec(uri);
  if (!match) return undefined;
  const [, scheme = 'turn', host = '', port] = match;
  return {
    host: host.replace(/^\[|\]$/g, ''),
    port: port === undefined ? DEFAULT_PORTS[scheme as keyof typeof DEFAULT_PORTS] : Number(port),
  };
}

/** The raw answer, as it came over the wire, for the contract check. */
interface Captured {
  status?: number;
  body?: unknown;
  latencyMs?: number;
}

/** A reason a person can act on, for the API step's failure. */
function apiReason(error: IceServerError): string {
  const hints: Partial<Record<string, string>> = {
    Unauthorized: 'pass a valid token with --token (auth=jwt)',
    Forbidden:
      'sign with --iam and a role allowed to call this channel (auth=iam), or check the token scopes',
    NotFound: 'check --url (the ApiUrl output) and the channel name',
    ChannelNotAllowed: 'the channel is not served by this deployment, or your token does not grant it',
    CallerBlocked: 'this caller is in the blocked-callers parameter',
    Timeout: 'the API did not answer in time',
    NetworkError: 'the API could not be reached from here',
  };
  const hint = hints[error.code];
  return `${error.status ?? 'no answer'} ${error.code}: ${error.message}${hint ? ` (${hint})` : ''}`;
}

/**
 * Runs the smoke check: calls the API once (no retries, so a failure shows as it is), checks the
 * answer against docs/openapi.json, then performs a real TURN Allocate on every TURN URI with the
 * returned credentials, all URIs at once. DTLS URIs are reported `not checked` (werift's TURN client
 * has no DTLS transport). Never throws for a failed check: the report says what failed and why.
 */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const captured: Captured = {};
  const client = new IceServerClient({
    baseUrl: options.url,
    channel: options.channel,
    ...(options.token !== undefined ? { getToken: () => options.token ?? '' } : {}),
    ...(options.iam !== undefined ? { aws: options.iam } : {}),
    timeoutMs: options.timeoutMs,
    retry: { maxAttempts: 1 },
    fetch: async (input, init) => {
      const started = performance.now();
      const response = await fetch(input, init);
      const text = await response.clone().text();
      captured.latencyMs = Math.round(performance.now() - started);
      captured.status = response.status;
      try {
        captured.body = JSON.parse(text);
      } catch {
        captured.body = text;
      }
      return response;
    },
  });
  const route = `${options.url.replace(/\/+$/, '')}${iceServersPath(encodeURIComponent(options.channel))}`;
  const base = { url: route, channel: options.channel };
  let failure: string | null = null;
  try {
    await client.getIceServers();
  } catch (error) {
    if (!(error instanceof IceServerError)) throw error;
    failure = apiReason(error);
  }
  const status = captured.status ?? null;
  const problem = status === null ? undefined : options.validator.problem(status, captured.body);
  const contract = status === null ? 'not checked' : problem === undefined ? 'valid' : 'invalid';
  const api = {
    status,
    latencyMs: captured.latencyMs ?? null,
    contract,
    reason:
      failure ?? (problem !== undefined ? `the answer does not match docs/openapi.json: ${problem}` : null),
  } as const;
  if (api.reason !== null) return { ok: false, ...base, api, ttl: null, uris: [] };
  // The answer matched docs/openapi.json, whose IceServersResponse the contract's type is.
  const answer = captured.body as IceServersAnswer;
  const uris = await Promise.all(
    answer.iceServers.flatMap((server) =>
      server.urls.filter((uri) => /^turns?:/.test(uri)).map((uri) => checkUri(uri, server, options)),
    ),
  );
  const noTurn = uris.length === 0;
  const ok =
    !noTurn && uris.every((uri) => uri.result !== 'failed') && uris.some((uri) => uri.result === 'ok');
  return {
    ok,
    ...base,
    api: noTurn ? { ...api, reason: 'the answer has no TURN URI to check' } : api,
    ttl: answer.ttl,
    uris,
  };
}

async function checkUri(uri: string, server: IceServer, options: CheckOptions): Promise<UriCheck> {
  const transport = transportOf(uri) ?? 'unknown';
  const endpoint = turnEndpoint(uri);
  const skip = (result: UriCheck['result'], reason: string): UriCheck => ({
    uri,
    transport,
    result,
    rttMs: null,
    reason,
  });
  if (endpoint === undefined || transport === 'unknown')
    return skip('failed', 'not a TURN URI this check can read (turn[s]:host[:port][?transport=udp|tcp])');
  if (transport === 'dtls') return skip('not checked', "DTLS: werift's TURN client has no DTLS transport");
  if (server.username === undefined || server.credential === undefined)
    return skip('failed', 'the server entry has no username and credential');
  const outcome = await (options.allocate ?? turnAllocate)({
    ...endpoint,
    transport,
    username: server.username,
    password: server.credential,
    timeoutMs: options.timeoutMs,
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  });
  return outcome.ok
    ? { uri, transport, result: 'ok', rttMs: outcome.rttMs, reason: null }
    : { uri, transport, result: 'failed', rttMs: outcome.rttMs ?? null, reason: outcome.reason };
}
