import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { BodyTooLargeError, fromThisMachine, readBody, splitTarget } from '../http-server';
import type { StatsRecorder } from './call-stats';
import type { EmulatorClock } from './clock';
import { handleControl } from './control';
import type { Principal } from './credentials';
import { AuthFailure, AwsError } from './errors';
import { type FaultRegistry, faultResponse, type Sleeper } from './faults';
import { kvsOperationHandlers } from './kvs';
import { type EndpointKind, VALIDATION_CODES } from './model';
import type { EmulatorContext, OperationHandler, PreparedCall } from './operation';
import {
  awsJson,
  awsQuery,
  type Protocol,
  REST_JSON,
  restJson,
  type WireResponse,
  wrongEndpoint,
} from './protocols';
import type { QuotaEnforcer } from './quotas';
import { serializationError, validateInput } from './shapes';
import type { SignalingService } from './signaling';
import { rawRequest } from './sigv4';
import { authenticate } from './sigv4-verifier';
import { type ParameterStore, parameterHandler } from './ssm';
import type { StorageChannelStats } from './storage-agent';
import { stsHandlers } from './sts';

/** Largest request body accepted; every real STS/KVS/SSM request is far below it. */
const MAX_BODY_BYTES = 64 * 1024;

/** The emulator's state that outlives a request: call counters, faults, their delays, the clock, the quotas. */
export interface RouterDeps {
  readonly stats: StatsRecorder;
  readonly faults: FaultRegistry;
  readonly sleeper: Sleeper;
  readonly clock: EmulatorClock;
  readonly quotas: QuotaEnforcer;
  /** SSM Parameter Store's parameters (`GetParameter`), for the blocked-callers list. */
  readonly parameters: ParameterStore;
  /** The KVS signaling WebSocket service, for its control routes (`/_emulator/signaling…`). */
  readonly signaling: SignalingService;
  /** The recording peer's counts per channel (`storage` of `GET /_emulator/stats`). */
  readonly storageStats?: () => Record<string, StorageChannelStats>;
}

const CONTROL_PREFIX = '/_emulator/';

/** Writes a whole response with its Content-Length; nothing once headers are out or the socket is gone. */
function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Every operation's handler (the table of local/emulator/model.ts, with behaviour). */
export function operationHandlers(ctx: EmulatorContext, parameters: ParameterStore): OperationHandler[] {
  return [...stsHandlers(ctx), ...kvsOperationHandlers(ctx), parameterHandler(ctx, parameters)];
}

/** An operation found for a request, or the answer AWS gives a request no operation there takes. */
type Dispatch =
  | { readonly handler: OperationHandler }
  | { readonly unknown: { readonly code: string; render(requestId: string): WireResponse } };

/** An error answered in `protocol` to a request no operation takes. */
const refusal = (protocol: Protocol, error: AwsError) => ({
  code: error.code,
  render: (requestId: string) => protocol.error(error, requestId),
});

/** The operations one endpoint serves, found as AWS finds them: `X-Amz-Target`, the form's `Action`, the path. */
class OperationIndex {
  private readonly byTarget = new Map<string, OperationHandler>();
  private readonly byAction = new Map<string, OperationHandler>();
  private readonly byPath = new Map<string, OperationHandler>();

  constructor(handlers: readonly OperationHandler[]) {
    for (const handler of handlers) {
      const { protocol, target, http } = handler.model;
      if (protocol === 'awsJson' && target) this.byTarget.set(target, handler);
      else if (protocol === 'awsQuery' && target) this.byAction.set(target, handler);
      else this.byPath.set(`${http.method} ${http.requestUri}`, handler);
    }
  }

  /** Whether an operation of this endpoint is at `path` (the REST-JSON ones: KVS's). */
  hasPath(path: string): boolean {
    for (const route of this.byPath.keys()) if (route.endsWith(` ${path}`)) return true;
    return false;
  }

  find(req: IncomingMessage, path: string, body: Buffer): Dispatch {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && this.byTarget.size > 0) {
      const handler = this.byTarget.get(target);
      if (handler) return { handler };
      return {
        unknown: refusal(
          awsJson,
          new AwsError('UnknownOperationException', 400, `Unknown operation ${target}`),
        ),
      };
    }
    const route = this.byPath.get(`${req.method} ${path}`);
    if (route) return { handler: route };
    if (req.method === 'POST' && path === '/' && this.byAction.size > 0) {
      const form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action');
      const handler = action === null ? undefined : this.byAction.get(action);
      if (handler && form.get('Version') === '2011-06-15') return { handler };
      const message = `Could not find operation ${action} for version ${form.get('Version')}`;
      return { unknown: refusal(awsQuery, new AwsError('InvalidAction', 400, message)) };
    }
    // A path no operation of this endpoint has, another endpoint's operation included.
    return { unknown: { code: 'AccessDeniedException', render: wrongEndpoint } };
  }
}

/** The input of a request, decoded by its protocol: a JSON object, or the form's declared members. */
function decodeInput(handler: OperationHandler, body: Buffer): Record<string, unknown> {
  const { model } = handler;
  if (model.protocol === 'awsQuery') return decodeForm(handler, body);
  let value: unknown;
  try {
    value = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
  } catch {
    throw serializationError('The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw serializationError('The request body must be a JSON object.');
  const input = value as Record<string, unknown>;
  validateInput(model.input, input, VALIDATION_CODES[model.service], true);
  return input;
}

/**
 * An awsQuery form's members: strings, integers where the shape says so. A member of the
 * operation the emulator does not model (`PolicyArns`, `Tags`, `ExternalId`, …) is refused rather
 * than ignored: AWS would act on it (a managed session policy narrows the session), so ignoring
 * it would make the emulator more permissive than AWS.
 */
function decodeForm(handler: OperationHandler, body: Buffer): Record<string, unknown> {
  const { model } = handler;
  const code = VALIDATION_CODES[model.service];
  const input: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
    if (key === 'Action' || key === 'Version') continue;
    const member = model.input.members[key.split('.')[0] ?? key];
    if (member === undefined)
      throw new AwsError(code, 400, `${key} is not supported by the local emulator's ${handler.operation}.`);
    if (member.type === 'integer' || member.type === 'long') {
      if (!/^-?\d{1,15}$/.test(value)) {
        const at = `${key.charAt(0).toLowerCase()}${key.slice(1)}`;
        throw new AwsError(
          code,
          400,
          `1 validation error detected: Value '${value}' at '${at}' is not a number`,
        );
      }
      input[key] = Number(value);
    } else input[key] = value;
  }
  validateInput(model.input, input, code, false);
  return input;
}

/** A CORS request's headers (`Access-Control-Request-Headers`): header names, comma-separated. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/**
 * KVS answers browsers' CORS requests: the KVS WebRTC samples call it from a web page with the AWS
 * SDK for JavaScript (as the first-frame benchmark's keys-in-the-page baseline does). The minimum
 * such a page needs: a preflight is answered 200 allowing POST with the headers it asks for (the
 * SDK's `authorization`, `x-amz-date`, `x-amz-user-agent`, `amz-sdk-*` …), and every answer lets
 * any origin read it and the headers the SDK reads. CORS grants nothing: every call still needs
 * its SigV4 signature and IAM's permission. Returns true when it answered a preflight.
 */
function answerCors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader('access-control-allow-origin', '*');
  const asked = req.headers['access-control-request-method'];
  if (req.method !== 'OPTIONS' || asked === undefined) {
    res.setHeader('access-control-expose-headers', 'x-amzn-requestid,x-amzn-errortype,date');
    return false;
  }
  const headers = req.headers['access-control-request-headers'] ?? '';
  req.resume();
  send(
    res,
    200,
    {
      'access-control-allow-methods': 'POST',
      ...(HEADER_LIST.test(headers) ? { 'access-control-allow-headers': headers } : {}),
    },
    '',
  );
  return true;
}

/** The protocol an endpoint answers in when it cannot tell the operation (a body too large to read). */
function protocolOf(req: IncomingMessage, path: string, endpoint: EndpointKind): Protocol {
  if (endpoint !== 'control') return REST_JSON[endpoint];
  if (req.headers['x-amz-target'] !== undefined) return awsJson;
  return path === '/' ? awsQuery : restJson;
}

/**
 * The request listener of one endpoint: `control` (the emulator's main port: the `/_emulator/*`
 * control API, STS, SSM and the KVS control plane) or `signaling` (the signaling API). Each call
 * is SigV4-verified, validated against its shape, authorized, counted against its quota, then run
 * (or answered by an injected fault). A request for an operation the endpoint does not serve gets
 * what AWS answers there: KVS's 403 for a path (another endpoint's operation included), STS's
 * InvalidAction, SSM's UnknownOperationException. Bodies over 64 KiB get 413.
 */
export function createRouter(
  ctx: EmulatorContext,
  deps: RouterDeps,
  endpoint: EndpointKind,
): (req: IncomingMessage, res: ServerResponse) => void {
  const operations = new OperationIndex(
    operationHandlers(ctx, deps.parameters).filter((h) => h.model.endpoint === endpoint),
  );

  const reply = (res: ServerResponse, response: WireResponse) =>
    send(res, response.status, response.headers, response.body);

  const reject = (
    res: ServerResponse,
    protocol: Protocol,
    error: AwsError,
    requestId: string,
    close = false,
  ) => {
    deps.stats.recordRejection(error.code);
    const response = protocol.error(error, requestId);
    reply(res, close ? { ...response, headers: { ...response.headers, connection: 'close' } } : response);
  };

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // No web page on another site (nor a DNS-rebound name) may inject faults or move the clock.
    if (!fromThisMachine(req)) {
      req.resume();
      return send(
        res,
        403,
        { 'content-type': 'application/json' },
        JSON.stringify({
          message: 'the control API answers tools on this machine only (Host and Origin on loopback)',
        }),
      );
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    const result = handleControl(req.method ?? '', path, body, deps);
    if (result.body === undefined) return send(res, result.status, {}, '');
    send(res, result.status, { 'content-type': 'application/json' }, JSON.stringify(result.body));
  }

  async function answer(
    res: ServerResponse,
    handler: OperationHandler,
    call: PreparedCall,
    requestId: string,
  ) {
    const { operation, protocol } = handler;
    // AWS throttles a call before it does anything with it, injected faults included.
    const admitted = deps.quotas.admit(operation, call.channel);
    deps.stats.recordCall(operation, call.channel, call.clientId, !admitted);
    if (!admitted) return reply(res, protocol.error(protocol.throttle(), requestId));
    const fault = deps.faults.take(operation, call.channel);
    if (fault) {
      deps.stats.recordFault(operation);
      if (fault.latencyMs) await deps.sleeper.sleep(fault.latencyMs);
      if (fault.kind === 'drop') {
        res.socket?.destroy();
        return;
      }
      const injected = faultResponse(fault, handler, requestId);
      if (injected) return reply(res, injected);
    }
    try {
      reply(res, protocol.ok(call.run(requestId), requestId));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      reject(res, protocol, error, requestId);
    }
  }

  async function operation(
    req: IncomingMessage,
    res: ServerResponse,
    handler: OperationHandler,
    body: Buffer,
  ) {
    const requestId = randomUUID();
    const { protocol, model } = handler;
    let call: PreparedCall;
    try {
      const principal: Principal = await authenticate(rawRequest(req, body), ctx.credentials, {
        region: ctx.region,
        service: model.service,
        now: ctx.now,
      });
      call = handler.prepare(decodeInput(handler, body), principal);
    } catch (error) {
      if (error instanceof AuthFailure)
        return reject(res, protocol, protocol.authError(error.reason, error.message), requestId);
      if (error instanceof AwsError) return reject(res, protocol, error, requestId);
      throw error;
    }
    await answer(res, handler, call, requestId);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('date', new Date(ctx.now()).toUTCString());
    const { path } = splitTarget(req.url ?? '/');
    if (endpoint === 'control' && path.startsWith(CONTROL_PREFIX)) return control(req, res, path);
    if (req.headers.origin !== undefined && operations.hasPath(path) && answerCors(req, res)) return;
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      const tooLarge = new AwsError('RequestEntityTooLargeException', 413, 'The request body is too large.');
      return reject(res, protocolOf(req, path, endpoint), tooLarge, randomUUID(), true);
    }
    const found = operations.find(req, path, body);
    if ('handler' in found) return operation(req, res, found.handler, body);
    deps.stats.recordRejection(found.unknown.code);
    reply(res, found.unknown.render(randomUUID()));
  }

  return (req, res) => {
    route(req, res).catch(() => {
      if (req.destroyed || res.destroyed) return; // the client went away mid-request
      deps.stats.recordRejection('InternalFailure');
      if (res.headersSent) return res.destroy();
      send(res, 500, { 'content-type': 'application/json' }, '{"message":"internal error in the emulator"}');
    });
  };
}

/** The `upgrade` listener of an endpoint that serves no WebSocket: 404, then the socket closes. */
export function refuseUpgrade(_req: IncomingMessage, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
}
