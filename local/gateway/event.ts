import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ICE_SERVERS_ROUTE_PATH } from '../lambda/contract';

export const ROUTE_KEY = `POST ${ICE_SERVERS_ROUTE_PATH}`;
const ROUTE = new RegExp(`^${ICE_SERVERS_ROUTE_PATH.replace('{channel}', '([^/]+)')}$`);
/** `.` or `..`, also percent-encoded: a segment every URL normaliser would resolve away. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json)/i;

/** A request target split at its first `?`, both parts exactly as they arrived (nothing decoded or resolved). */
export interface RawTarget {
  readonly path: string;
  readonly query: string;
}

/**
 * The route's path parameters (still percent-encoded), or undefined when the raw path is not
 * the route's. Like API Gateway, nothing is normalised first: dot segments, backslashes, double
 * slashes, absolute-form and asterisk-form targets never match. A dot segment where the channel
 * goes (`.`, `%2e%2e`) is refused too: clients, proxies and SigV4 all resolve it away.
 */
export function matchRoute(path: string): { channel: string } | undefined {
  const channel = ROUTE.exec(path)?.[1];
  if (channel === undefined || DOT_SEGMENT.test(channel)) return undefined;
  // HTTP APIs hand the function percent-decoded path parameters; a malformed escape matches no route.
  try {
    return { channel: decodeURIComponent(channel) };
  } catch {
    return undefined;
  }
}

/** Query parameters as API Gateway passes them: decoded, a repeated name's values joined with `,`. */
function queryParameters(query: string): Record<string, string> | undefined {
  if (query === '') return undefined;
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    const existing = parameters[name];
    parameters[name] = existing === undefined ? value : `${existing},${value}`;
  }
  return parameters;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'cookie')
      headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

/**
 * The API Gateway HTTP API (payload format 2.0) event that AWS would build for this request:
 * text bodies as UTF-8, other bodies base64-encoded, lower-case headers, cookies split out.
 */
export function toApiGatewayEvent(
  req: IncomingMessage,
  target: RawTarget,
  body: Buffer,
  pathParameters: Record<string, string>,
  authorizer?: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  const headers = headersOf(req);
  const text = TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const host = headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey: ROUTE_KEY,
    rawPath: target.path,
    rawQueryString: target.query,
    cookies: req.headers.cookie?.split(/;\s*/),
    headers,
    queryStringParameters: queryParameters(target.query),
    pathParameters,
    isBase64Encoded: body.length > 0 && !text,
    body: body.length === 0 ? undefined : text ? body.toString('utf8') : body.toString('base64'),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: req.method ?? 'GET',
        path: target.path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: ROUTE_KEY,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    },
  } as APIGatewayProxyEventV2;
}

/** A Lambda context like the one the runtime passes, for the local function. */
export function lambdaContext(timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'kvs-ice-broker-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:kvs-ice-broker-local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/kvs-ice-broker-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
