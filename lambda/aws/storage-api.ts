/**
 * KVS WebRTC storage API (`kinesis-video-webrtc-storage`, 2018-05-10): `JoinStorageSession` and
 * `JoinStorageSessionAsViewer`, REST-JSON `POST /joinStorageSession` `{channelArn}` and
 * `POST /joinStorageSessionAsViewer` `{channelArn, clientId}` to the channel's `WEBRTC` endpoint,
 * SigV4-signed for service `kinesisvideo`; success is a 200 with no body, errors are
 * `ClientLimitExceededException` (400), `InvalidArgumentException` (400), `AccessDeniedException`
 * (403), `ResourceNotFoundException` (404) (botocore's service-2.json of that service).
 *
 * Written against the shared HTTP handler rather than `@aws-sdk/client-kinesis-video-webrtc-storage`:
 * the npm registry reached here has that client only at 3.926.0, far behind the 3.1116.0 of the
 * function's other AWS SDK clients, and a second SDK core in the bundle would cost more than these
 * two calls. This module is imported on the storage route's first call only (lambda/aws/sessions.ts).
 */

import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { VendingError } from '../core/errors';
import type { JoinStorageSessionRequest } from '../core/ports';
import type { ClientDefaults } from './clients';
import { toVendingError } from './errors';

/** What one storage call is signed and sent with. */
export interface StorageApiContext {
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  readonly defaults: ClientDefaults;
  /** The signing time, on AWS's clock. */
  readonly signingDate: () => Date;
}

/**
 * Socket errors raised before a request is written: the join cannot have reached KVS, so another
 * attempt cannot send a second offer. A reset or broken pipe may come after the request went out:
 * not in this list.
 */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * KVS's `ClientLimitExceededException` for a storage session that has its 3 viewers: not a rate
 * limit, so not retried. KVS tells it apart by its message only; the JS SDK's sample does so with
 * this phrase (amazon-kinesis-video-streams-webrtc-sdk-js, examples/master.js,
 * `callJoinStorageSessionUntilSDPOfferReceived`: "ClientLimitExceededException is thrown for
 * hitting TPS limit (rate limit), but also for hitting the maximum number of viewers in a session").
 */
const MAX_VIEWERS = /maximum number of viewers connected to the session/i;

/**
 * Seconds within which KVS's recording peer sends its SDP offer after a join that reached it, as
 * the answers of a join that may have reached KVS tell the caller to wait before joining again:
 * the JS SDK's sample joins again when no offer came within 6 seconds
 * (amazon-kinesis-video-streams-webrtc-sdk-js, examples/master.js).
 */
export const JOIN_OFFER_WAIT_SECONDS = 6;

/**
 * The answer to a join that failed after it may have reached KVS (a timeout, a reset, a 5xx): not
 * retried, and no `Retry-After` (joins are not idempotent: each one KVS received sends an offer), but
 * advice to join again only when no offer arrives: 504 `UpstreamTimeout` for a timeout, else 502
 * `UpstreamError`.
 */
function mayHaveBeenSent(call: string, failure: VendingError, cause: unknown): VendingError {
  return new VendingError(
    failure.code === 'UpstreamTimeout' ? 'UpstreamTimeout' : 'UpstreamError',
    `${call} failed and may have reached KVS, which then sends an SDP offer over your signaling connection: join again only if no offer arrives within ${JOIN_OFFER_WAIT_SECONDS} seconds`,
    { cause },
  );
}

type RequestHandler = ReturnType<typeof NodeHttpHandler.create>;

/** Handlers by their settings object (one per process): keep-alive agents are shared with the other clients. */
const handlers = new WeakMap<ClientDefaults, RequestHandler>();

/** The HTTP handler of `defaults`, as an SDK client resolves it: a handler given there, else one of its options. */
function handlerFor(defaults: ClientDefaults): RequestHandler {
  let handler = handlers.get(defaults);
  if (!handler) {
    handler = NodeHttpHandler.create(defaults.requestHandler);
    handlers.set(defaults, handler);
  }
  return handler;
}

/** An SDK-like error (name, HTTP status, message) from a storage API error response. */
class StorageApiError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, status: number, message: string) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

/** The error's shape name from REST-JSON: `x-amzn-errortype`, else the body's `__type` or `code` (`ns#Name:uri` → `Name`). */
function errorName(headers: Record<string, string>, body: Record<string, unknown>): string {
  const raw =
    headers['x-amzn-errortype'] ??
    (typeof body.__type === 'string' ? body.__type : undefined) ??
    (typeof body.code === 'string' ? body.code : undefined) ??
    'UnknownError';
  return raw.split(':')[0]?.split('#').pop() ?? raw;
}

async function readBody(stream: unknown): Promise<string> {
  if (stream === undefined || stream === null) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Sends one `JoinStorageSession` (no `clientId`) or `JoinStorageSessionAsViewer`. Rejects with
 * `VendingError`: KVS's throttle is a retryable 429 (a throttled call sent no offer) unless it
 * says the session has its maximum of viewers (429, not retryable, `Retry-After` 60: a viewer's
 * place frees when its session ends, a minute after it goes idle at the latest, per KVS's
 * "WebRTC ingestion service quotas"); a connection refused before sending is a retryable 503;
 * a timeout, reset or 5xx is not retryable (the call may have reached KVS and sent an offer): a
 * 504 or 502 without `Retry-After` that says to join again only when no offer arrives within
 * {@link JOIN_OFFER_WAIT_SECONDS}; `InvalidArgumentException` is 400 `InvalidRequest`.
 */
export async function sendJoinStorageSession(
  context: StorageApiContext,
  request: JoinStorageSessionRequest,
  signal?: AbortSignal,
): Promise<void> {
  const viewer = request.clientId !== undefined;
  const call = viewer ? 'KVS JoinStorageSessionAsViewer' : 'KVS JoinStorageSession';
  const url = new URL(request.endpoint);
  const path = `${url.pathname.replace(/\/$/, '')}/${viewer ? 'joinStorageSessionAsViewer' : 'joinStorageSession'}`;
  const body = JSON.stringify(
    viewer
      ? { channelArn: request.channelArn, clientId: request.clientId }
      : { channelArn: request.channelArn },
  );
  const unsigned = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path,
    headers: {
      host: url.host,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  });
  const signer = new SignatureV4({
    credentials: context.credentials,
    region: context.region,
    service: 'kinesisvideo',
    sha256: Sha256,
  });
  const signed = await signer.sign(unsigned, { signingDate: context.signingDate() });
  let status: number;
  let text: string;
  let headers: Record<string, string>;
  try {
    const { response } = await handlerFor(context.defaults).handle(signed as HttpRequest, {
      ...(signal ? { abortSignal: signal } : {}),
    });
    status = response.statusCode;
    headers = Object.fromEntries(
      Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    text = await readBody(response.body);
  } catch (error) {
    const failure = toVendingError(error, call);
    const code = (error as { code?: string } | undefined)?.code;
    if (code === undefined || !NOT_SENT_CODES.has(code)) throw mayHaveBeenSent(call, failure, error);
    // The connection failed before the request was written: retryable, no offer can have been sent.
    throw new VendingError(failure.code, failure.message, {
      ...(failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
      retryable: true,
      cause: error,
    });
  }
  if (status >= 200 && status < 300) return;
  let parsed: Record<string, unknown> = {};
  try {
    const json: unknown = text ? JSON.parse(text) : {};
    if (typeof json === 'object' && json !== null) parsed = json as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  const name = errorName(headers, parsed);
  const message =
    typeof parsed.message === 'string'
      ? parsed.message
      : typeof parsed.Message === 'string'
        ? parsed.Message
        : '';
  const error = new StorageApiError(name, status, message);
  if (name === 'ClientLimitExceededException' && MAX_VIEWERS.test(message)) {
    throw new VendingError(
      'Throttled',
      'the storage session has its maximum of viewers (KVS allows 3); retry after the Retry-After delay',
      { retryAfterSeconds: 60, retryable: false, cause: error },
    );
  }
  if (name === 'InvalidArgumentException') {
    throw new VendingError(
      'InvalidRequest',
      `${call} was refused as invalid (InvalidArgumentException): the channel may no longer record media`,
      { cause: error },
    );
  }
  const failure = toVendingError(error, call);
  if (status >= 500) throw mayHaveBeenSent(call, failure, error);
  // Only KVS's throttle is safe to retry: the call was refused, no offer was sent.
  const retryable = failure.code === 'Throttled';
  throw new VendingError(failure.code, failure.message, {
    ...(failure.retryAfterSeconds !== undefined ? { retryAfterSeconds: failure.retryAfterSeconds } : {}),
    retryable,
    ...(failure.credentialsRefusedBy !== undefined
      ? { credentialsRefusedBy: failure.credentialsRefusedBy }
      : {}),
    cause: error,
  });
}
