import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, fromThisMachine, readBody, splitTarget } from '../http-server';
import type { StatsRecorder } from './call-stats';
import type { EmulatorClock } from './clock';
import { handleControl } from './control';
import { AuthFailure, AwsError } from './errors';
import { type FaultRegistry, faultResponse, type Sleeper } from './faults';
import { kvsOperationHandlers } from './kvs';
import type { EmulatorContext, OperationHandler, PreparedCall } from './operation';
import { type Protocol, restJson, type WireResponse } from './protocols';
import type { QuotaEnforcer } from './quotas';
import type { SignalingService } from './signaling';
import { rawRequest } from './sigv4';
import { authenticate } from './sigv4-verifier';
import type { parameterService } from './ssm';
import { assumeRoleHandler } from './sts';

/** Largest request body accepted; every real STS/KVS request is far below it. */
const MAX_BODY_BYTES = 64 * 1024;

/** The emulator's state that outlives a request: call counters, faults, their delays, the clock, the quotas. */
export interface RouterDeps {
  readonly stats: StatsRecorder;
  readonly faults: FaultRegistry;
  readonly sleeper: Sleeper;
  readonly clock: EmulatorClock;
  readonly quotas: QuotaEnforcer;
  /** SSM `GetParameter` (`POST /` with its `X-Amz-Target`), for the blocked-callers list. */
  readonly parameters: ReturnType<typeof parameterService>;
  /** The KVS signaling WebSocket service, for its control routes (`/_emulator/signaling…`). */
  readonly signaling: SignalingService;
}

const CONTROL_PREFIX = '/_emulator/';

/** Writes a whole response with its Content-Length; nothing once headers are out or the socket is gone. */
function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The emulator's request listener: the `/_emulator/*` control API, then STS / KVS / KVS
 * signaling by path (POST only), each call SigV4-verified before its operation runs. Bodies over
 * 64 KiB get `RequestEntityTooLargeException` (413); unknown paths `UnknownOperationException` (404).
 */
export function createRouter(
  ctx: EmulatorContext,
  deps: RouterDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const handlers = new Map<string, OperationHandler>(
    [assumeRoleHandler(ctx), ...kvsOperationHandlers(ctx)].map((h) => [h.path, h]),
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
      const injected = faultResponse(fault, protocol, requestId);
      if (injected) return reply(res, injected);
    }
    try {
      reply(res, protocol.ok(call.run(requestId), requestId));
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      reject(res, protocol, error, requestId);
    }
  }

  async function operation(req: IncomingMessage, res: ServerResponse, handler: OperationHandler) {
    const requestId = randomUUID();
    const { protocol } = handler;
    let call: PreparedCall;
    try {
      const body = await readBody(req, MAX_BODY_BYTES);
      const principal = await authenticate(rawRequest(req, body), ctx.credentials, {
        region: ctx.region,
        service: handler.service,
        now: ctx.now,
      });
      call = handler.prepare(body, principal);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        const tooLarge = new AwsError(
          'RequestEntityTooLargeException',
          413,
          'The request body is too large.',
        );
        return reject(res, protocol, tooLarge, requestId, true);
      }
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
    if (path.startsWith(CONTROL_PREFIX)) return control(req, res, path);
    if (deps.parameters.accepts(req, path)) return deps.parameters.serve(req, res);
    const handler = handlers.get(path);
    if (handler && req.method === 'POST') return operation(req, res, handler);
    req.resume();
    const unknown = new AwsError('UnknownOperationException', 404, `No operation at ${req.method} ${path}`);
    reject(res, restJson, unknown, randomUUID());
  }

  return (req, res) => {
    route(req, res).catch((error: unknown) => {
      if (req.destroyed || res.destroyed) return; // the client went away mid-request
      if (error instanceof BodyTooLargeError) {
        return send(
          res,
          413,
          { 'content-type': 'application/json', connection: 'close' },
          '{"message":"body too large"}',
        );
      }
      deps.stats.recordRejection('InternalFailure');
      if (res.headersSent) return res.destroy();
      send(res, 500, { 'content-type': 'application/json' }, '{"message":"internal error in the emulator"}');
    });
  };
}
