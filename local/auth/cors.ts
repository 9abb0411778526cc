import type { IncomingMessage } from 'node:http';
import { ANY_ORIGIN, corsPreflight } from '../../lib/cors';

/**
 * The deployed API's CORS configuration (lib/cors.ts), applied as API Gateway applies it:
 * preflights are answered without authorization, and allowed origins get
 * `access-control-allow-origin` on every response. Other origins get no CORS headers at all.
 */
export class CorsRules {
  private readonly origins: ReadonlySet<string>;
  private readonly preflight: Record<string, string>;
  private readonly expose: Record<string, string>;

  constructor(allowOrigins: readonly string[]) {
    const config = corsPreflight(allowOrigins);
    this.origins = new Set(config.allowOrigins);
    this.preflight = {
      'access-control-allow-methods': (config.allowMethods ?? []).join(','),
      'access-control-allow-headers': (config.allowHeaders ?? []).join(','),
      'access-control-max-age': String(config.maxAge?.toSeconds() ?? 0),
    };
    const exposed = config.exposeHeaders ?? [];
    this.expose = exposed.length > 0 ? { 'access-control-expose-headers': exposed.join(',') } : {};
  }

  /** The `access-control-allow-origin` value for this request, or undefined when not allowed. */
  private allowedOrigin(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    if (this.origins.has(origin)) return origin;
    return this.origins.has(ANY_ORIGIN) ? ANY_ORIGIN : undefined;
  }

  /** Headers for an actual (non-preflight) response. */
  responseHeaders(req: IncomingMessage): Record<string, string> {
    const origin = this.allowedOrigin(req);
    return origin === undefined
      ? {}
      : { 'access-control-allow-origin': origin, vary: 'origin', ...this.expose };
  }

  /** Headers for the 204 answer to an `OPTIONS` preflight. */
  preflightHeaders(req: IncomingMessage): Record<string, string> {
    const origin = this.allowedOrigin(req);
    return origin === undefined
      ? {}
      : { 'access-control-allow-origin': origin, vary: 'origin', ...this.preflight };
  }
}
