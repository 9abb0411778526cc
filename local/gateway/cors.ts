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

  /** Headers for an actual (non-preflight) response. */
  responseHeaders(req: IncomingMessage): Record<string, string> {
    return this.headersFor(req, this.expose);
  }

  /** Headers for the 204 answer to an `OPTIONS` preflight. */
  preflightHeaders(req: IncomingMessage): Record<string, string> {
    return this.headersFor(req, this.preflight);
  }

  /** `access-control-allow-origin` and `extra` for an allowed origin; nothing for any other request. */
  private headersFor(req: IncomingMessage, extra: Record<string, string>): Record<string, string> {
    const origin = req.headers.origin;
    if (origin === undefined) return {};
    const allowed = this.origins.has(origin) ? origin : ANY_ORIGIN;
    if (!this.origins.has(allowed)) return {};
    return { 'access-control-allow-origin': allowed, vary: 'origin', ...extra };
  }
}
