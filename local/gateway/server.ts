import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext, matchRoute, toApiGatewayEvent } from './api-event';
import type { CorsRules } from './auth/cors';
import type { Gate } from './auth/gate';
import { splitTarget } from './emulator/http';
import { BodyTooLargeError, closeServer, listen, readBody } from './http-server';

export type { Gate, GateDecision, Rejection } from './auth/gate';

export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiServerOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  readonly handler: LambdaHandler;
  /** Authentication in front of the function; none lets every request through. */
  readonly gate?: Gate;
  /** CORS as the deployed API has it configured; absent: no CORS headers, no preflight answers. */
  readonly cors?: CorsRules;
  /** The function's timeout, as the deployed Lambda has it (reported by `context.getRemainingTimeInMillis`). */
  readonly timeoutMs?: number;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
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
 * A local stand-in for the HTTP API: routes like the deployed API (404 `{"message":"Not Found"}`
 * elsewhere), turns each request into a payload 2.0 event and invokes the very same handler.
 */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    // The raw target, as API Gateway routes it: a URL parser would resolve `..`, turn `\` into
    // `/` and accept absolute-form targets, routing requests the deployed API answers with 404.
    const target = splitTarget(req.url ?? '/');
    const params = matchRoute(target.path);
    if (params && options.cors && req.method === 'OPTIONS') {
      res.writeHead(204, options.cors.preflightHeaders(req));
      return res.end();
    }
    const cors = options.cors?.responseHeaders(req) ?? {};
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (!params || req.method !== 'POST') return message(res, 404, 'Not Found');
    const body = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) return undefined;
      throw error;
    });
    if (!body) return message(res, 413, 'Request Entity Too Large');
    const decision = options.gate ? await options.gate(req, body) : {};
    if ('reject' in decision) {
      const { status, message: text, headers } = decision.reject;
      return message(res, status, text, headers);
    }
    const event = toApiGatewayEvent(req, target, body, params, decision.authorizer);
    // No timer of its own: the function's upstream deadline (UPSTREAM_DEADLINE_MS) bounds every request.
    const result = await options.handler(event, lambdaContext(timeoutMs));
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
