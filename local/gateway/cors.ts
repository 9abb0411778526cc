import type { IncomingMessage } from 'node:http';
import { ANY_ORIGIN, corsPreflight } from '../../lib/cors';
import { isLoopbackOrigin } from '../http-server';

/**
 * The deployed API's CORS configuration (lib/cors.ts), applied as API Gateway applies it:
 * preflights are answered without authorization, and allowed origins get
 * `access-control-allow-origin` on every response. Other origins get no CORS headers at all.
 */
export class CorsRules {
  private readonly origins: ReadonlySet<string>;
  private readonly preflight: Record<string, string>;
  private readonly expose: Record<string, string>;

  /**
   * The rules for `allowOrigins` (exact origins, or `*`) and, when `allowLoopback` is set, for
   * every loopback origin as well ({@link isLoopbackOrigin}: `http://localhost:*`, `http://127.0.0.1:*`).
   */
  constructor(
    allowOrigins: readonly string[],
    private readonly allowLoopback = false,
  ) {
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
    const listed = this.origins.has(origin) || (this.allowLoopback && isLoopbackOrigin(origin));
    const allowed = listed ? origin : ANY_ORIGIN;
    if (!listed && !this.origins.has(ANY_ORIGIN)) return {};
    return { 'access-control-allow-origin': allowed, vary: 'origin', ...extra };
  }
}

/** What the local API answers CORS for when `-c corsAllowOrigins` is not set and auth is `none`. */
export const LOOPBACK_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*'] as const;

/** The local API's CORS: the configured origins, else every loopback origin for `none` (local only), else none. */
export interface LocalCors {
  readonly rules: CorsRules | undefined;
  /** What the start-up lines print: the allowed origins (patterns for the loopback default). */
  readonly origins: readonly string[];
}

/**
 * The local API's CORS for `-c corsAllowOrigins` and the auth mode: the configured origins as a
 * deployment has them; without any, in `none` mode, the loopback origins of local dev servers
 * ({@link LOOPBACK_ORIGINS}), so a page on another local port can call the API out of the box;
 * otherwise none, as a deployment without the key.
 */
export function localCors(configured: readonly string[] | undefined, mode: string): LocalCors {
  if (configured?.length) return { rules: new CorsRules(configured), origins: configured };
  if (mode === 'none') return { rules: new CorsRules([], true), origins: LOOPBACK_ORIGINS };
  return { rules: undefined, origins: [] };
}
