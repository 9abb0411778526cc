/**
 * CORS of the HTTP API, so browser apps on other origins can call it. API Gateway answers
 * preflight requests itself, before any authorizer, so they need no token or signature.
 */
import { Duration } from 'aws-cdk-lib';
import { CorsHttpMethod, type CorsPreflightOptions } from 'aws-cdk-lib/aws-apigatewayv2';
import type { AuthMode } from '../lambda/contract';

/** Any origin; allowed only for APIs without authentication. */
export const ANY_ORIGIN = '*';

/** Request headers browsers may send: a bearer token (jwt) or a SigV4 signature (iam), and JSON. */
const CORS_ALLOW_HEADERS = [
  'authorization',
  'content-type',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
];

/** Response headers browser code may read beyond the safelisted ones: when to retry after 429 / 503. */
const CORS_EXPOSE_HEADERS = ['retry-after'];

/** How long browsers may cache a preflight response. */
const CORS_MAX_AGE = Duration.hours(1);

/** The HTTP API's CORS configuration for `origins`. */
export function corsPreflight(origins: readonly string[]): CorsPreflightOptions {
  return {
    allowOrigins: [...origins],
    allowMethods: [CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
    allowHeaders: CORS_ALLOW_HEADERS,
    exposeHeaders: CORS_EXPOSE_HEADERS,
    maxAge: CORS_MAX_AGE,
  };
}

/**
 * Why `origins` cannot be the allowed origins of an API with this auth mode, or `undefined`
 * when they can. An origin is `http(s)://host[:port]`, exactly as browsers send it.
 */
export function corsOriginsProblem(origins: readonly string[], mode: AuthMode): string | undefined {
  if (origins.includes(ANY_ORIGIN)) {
    if (mode !== 'none') {
      return `"${ANY_ORIGIN}" would let every website call the API from its visitors' browsers; list your apps' origins instead (auth=${mode})`;
    }
    return origins.length === 1 ? undefined : `"${ANY_ORIGIN}" must be the only origin`;
  }
  for (const origin of origins) {
    const problem = originProblem(origin);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function originProblem(origin: string): string | undefined {
  // API Gateway reads "https://*" as every https origin and "https://*.example.com" as every subdomain.
  if (origin.includes('*')) {
    return `"${origin}" has a wildcard: API Gateway would let many websites call the API from their visitors' browsers; list your apps' origins instead`;
  }
  const url = URL.canParse(origin) ? new URL(origin) : undefined;
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    return `"${origin}" is not an origin: http(s)://host[:port], no path`;
  }
  if (url.origin === origin) return undefined;
  const hasMore = url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '';
  return hasMore
    ? `"${origin}" is not an origin: http(s)://host[:port], no path`
    : `"${origin}" is not an origin as browsers send it; use "${url.origin}"`;
}
