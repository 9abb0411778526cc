import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ICE_SERVERS_ROUTE_PATH } from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { RawTarget } from '../http-server';

/** A route of the API: its path template (`/v1/channels/{channel}/…`), served for POST. */
export type RoutePath = string;

/** The routes every deployment has: the ice-servers route alone. */
export const DEFAULT_ROUTES: readonly RoutePath[] = [ICE_SERVERS_ROUTE_PATH];

const routePattern = (path: RoutePath) => new RegExp(`^${path.replace('{channel}', '([^/]+)')}$`);
/** `.` or `..`, also percent-encoded: a segment every URL normaliser would resolve away. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|javascript)|[^;]*\+json)/i;

/** A request routed to one of the API's routes. */
export interface RouteMatch {
  /** `POST <route path>`, as API Gateway puts it in the event's `routeKey`. */
  readonly routeKey: string;
  /** The path parameters, percent-decoded as HTTP APIs hand them to the function. */
  readonly pathParameters: { readonly channel: string };
}

/**
 * The route of `routes` (path templates, default the ice-servers route alone) whose path the raw
 * path is, and its path parameters; undefined when it is none of them. Like API Gateway,
 * nothing is normalised first: dot segments, backslashes, double slashes, absolute-form and
 * asterisk-form targets never match. A dot segment where the channel goes (`.`, `%2e%2e`) is
 * refused too: clients, proxies and SigV4 all resolve it away.
 */
export function matchRoute(
  path: string,
  routes: readonly RoutePath[] = DEFAULT_ROUTES,
): RouteMatch | undefined {
  for (const route of routes) {
    const channel = routePattern(route).exec(path)?.[1];
    if (channel === undefined || DOT_SEGMENT.test(channel)) continue;
    // HTTP APIs hand the function percent-decoded path parameters; a malformed escape matches no route.
    try {
      return { routeKey: `POST ${route}`, pathParameters: { channel: decodeURIComponent(channel) } };
    } catch {
      return undefined;
    }
  }
  return undefined;
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
  route: RouteMatch,
  authorizer?: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  const { routeKey, pathParameters } = route;
  const headers = headersOf(req);
  const text = TEXT_TYPES.test(headers['content-type'] ?? 'application/json');
  const now = new Date();
  const host = headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey,
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
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(authorizer ? { authorizer } : {}),
    },
  } as APIGatewayProxyEventV2;
}

/**
 * A Lambda context like the one the runtime passes, for the local function:
 * `getRemainingTimeInMillis()` counts down from `timeoutMs` (milliseconds), never below 0.
 */
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
