import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiHandler } from '../../lambda/http/adapter';
import type { SitePages } from '../demo/server';
import {
  addressedToThisMachine,
  BodyTooLargeError,
  closeServer,
  listen,
  readBody,
  splitTarget,
} from '../http-server';
import type { CorsRules } from './cors';
import { lambdaContext, matchRoute, type RoutePath, toApiGatewayEvent } from './event';

/** An answer in API Gateway's own words, e.g. 401 `{"message":"Unauthorized"}`. */
export interface Rejection {
  /** HTTP status: 401 or 403 from API Gateway's authorizers. */
  readonly status: number;
  /** The `message` of the JSON body. */
  readonly message: string;
  /** Extra response headers, e.g. `www-authenticate`. */
  readonly headers?: Record<string, string>;
}

/**
 * An authorizer's verdict: pass, with what the function sees as `requestContext.authorizer` (absent:
 * no authorizer context), or reject with API Gateway's answer (the function is not invoked).
 */
export type AuthorizerDecision = { authorizer?: Record<string, unknown> } | { reject: Rejection };

/**
 * The local form of an API Gateway authorizer: decides whether a request reaches the function,
 * and as whom. Gets the request and its whole body (SigV4 signs the body); may reject but never throws
 * for a bad credential.
 */
export type Authorizer = (req: IncomingMessage, body: Buffer) => Promise<AuthorizerDecision>;

/** How {@link startApiServer} serves. */
export interface ApiServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** The function, invoked with a payload 2.0 event and a Lambda context for each routed request. */
  readonly handler: ApiHandler;
  /** The routes' authorizer, in front of the function; none lets every request through. */
  readonly authorizer?: Authorizer;
  /** CORS as the deployed API has it configured; absent: no CORS headers, no preflight answers. */
  readonly cors?: CorsRules;
  /** The API's routes (POST path templates), as the deployment has them; default the ice-servers route alone. */
  readonly routes?: readonly RoutePath[];
  /** Pages served beside the API on its port (the local /demo); the deployed API has none. */
  readonly pages?: SitePages;
  /** The function's timeout, as the deployed Lambda has it (reported by `context.getRemainingTimeInMillis`). */
  readonly timeoutMs?: number;
}

/** A running local API. */
export interface ApiServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** API Gateway's payload limit is 10 MB; a local server has no reason to buffer more than this. */
const MAX_BODY_BYTES = 1024 * 1024;

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}
const message = (res: ServerResponse, status: number, text: string, headers?: Record<string, string>) =>
  send(res, status, JSON.stringify({ message: text }), headers);

function writeResult(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
  if (result.cookies?.length) res.setHeader('set-cookie', result.cookies);
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
  // API Gateway sends a Content-Length; without it Node would fall back to chunked encoding.
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(body);
}

/**
 * Logs (stderr) the error behind a 500 Internal Server Error, which tells the caller nothing: in
 * AWS the function's runtime logs a handler's error (`Invoke Error`); locally it would be lost.
 * `what` names the request or invocation.
 */
export function logFailure(what: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  console.error(`kvs-ice-broker: ${what} failed, answered 500 Internal Server Error: ${detail}`);
}

/**
 * A local stand-in for the HTTP API: routes like the deployed API (404 `{"message":"Not Found"}`
 * elsewhere), answers CORS preflights before the authorizer, refuses bodies over 1 MiB with 413, runs
 * the authorizer, turns each request into a payload 2.0 event and invokes the very same handler. A
 * handler that throws gets API Gateway's 500 `{"message":"Internal Server Error"}`, and its error
 * goes to the log ({@link logFailure}). Rejects when the port is taken.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    // The raw target, as API Gateway routes it: a URL parser would resolve `..`, turn `\` into
    // `/` and accept absolute-form targets, routing requests the deployed API answers with 404.
    const target = splitTarget(req.url ?? '/');
    // Only this machine's names: a DNS-rebinding page must not get credentials from a local API.
    if (!addressedToThisMachine(req)) return message(res, 403, 'Forbidden');
    if (options.pages && (await options.pages(req, res, target.path))) return;
    const route = matchRoute(target.path, options.routes);
    if (route && options.cors && req.method === 'OPTIONS') {
      res.writeHead(204, options.cors.preflightHeaders(req));
      return res.end();
    }
    const cors = options.cors?.responseHeaders(req) ?? {};
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (!route || req.method !== 'POST') return message(res, 404, 'Not Found');
    const body = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return undefined;
      throw error;
    });
    if (!body) return message(res, 413, 'Request Entity Too Large');
    const decision = options.authorizer ? await options.authorizer(req, body) : {};
    if ('reject' in decision) {
      const { status, message: text, headers } = decision.reject;
      return message(res, status, text, headers);
    }
    const event = toApiGatewayEvent(req, target, body, route, decision.authorizer);
    // No timer of its own: the function's upstream deadline (UPSTREAM_DEADLINE_MS) bounds every request.
    const context = lambdaContext(timeoutMs);
    const result = await options.handler(event, context).catch((error: unknown) => {
      logFailure(`invocation ${context.awsRequestId} (${req.method} ${target.path})`, error);
      throw error;
    });
    writeResult(res, result);
  };
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      // The deployed API answers a crashed invocation the same way: no details.
      if (!res.headersSent) message(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });
  const port = await listen(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => closeServer(server),
  };
}
