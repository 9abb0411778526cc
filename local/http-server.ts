import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';

/**
 * What the local servers (API Gateway stand-in, AWS emulator, dev identity provider) share:
 * loopback only, raw request targets, bounded bodies, clean shutdown.
 */

/** A request target split at its first `?`, both parts exactly as they arrived (nothing decoded or resolved). */
export interface RawTarget {
  /** Raw path, still percent-encoded, `.` segments and backslashes untouched. */
  readonly path: string;
  /** Raw query string without the `?`; empty when there is none. */
  readonly query: string;
}

/**
 * Splits a request target (`req.url`) at its first `?`. Nothing is parsed: both API Gateway
 * (routing) and SigV4 (the canonical request) work on the target as it arrived, where a URL
 * parser would resolve `..`, turn `\` into `/` and accept absolute-form targets.
 */
export function splitTarget(target: string): RawTarget {
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/**
 * Listens on 127.0.0.1, or another loopback `host` such as `::1` (0 picks a free port), and
 * resolves with the port; a taken port is an error that says so.
 */
export function listen(server: NetServer, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const shown = host.includes(':') ? `[${host}]` : host;
    const onError = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? Object.assign(
              new Error(
                `port ${port} on ${shown} is already in use: stop the other process or choose another port`,
              ),
              { code: error.code },
            )
          : error,
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, drops open (keep-alive) connections, and resolves once the server is closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** After a 413, the rest of an oversized body is drained up to this, then the socket is cut. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** A request body longer than the `limit` given to {@link readBody}; servers answer it with 413. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** Reads the whole body, or rejects with {@link BodyTooLargeError} once it exceeds `limit`. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      drain(req);
      reject(new BodyTooLargeError());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData).off('end', onEnd);
      drain(req, size);
      reject(new BodyTooLargeError());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/** Discards the rest of a body so the client can read the error; cuts off endless uploads. */
function drain(req: IncomingMessage, alreadyRead = 0): void {
  let drained = alreadyRead;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

const isLoopbackHost = (hostname: string) =>
  hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);

/** An `http:` origin on localhost or a loopback address, any port, exactly as a browser sends it. */
export function isLoopbackOrigin(origin: string): boolean {
  const url = URL.canParse(origin) ? new URL(origin) : undefined;
  if (url === undefined || url.protocol !== 'http:' || url.origin !== origin) return false;
  return isLoopbackHost(url.hostname);
}

/**
 * Whether a request to a local-only server comes from this machine's own tools: its `Host` names
 * a loopback address (a DNS-rebound name does not) and, when a browser sent it, its `Origin` is a
 * loopback page (another website's page is not). For control APIs that change what a server does.
 */
export function fromThisMachine(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return addressedToThisMachine(req) && (origin === undefined || isLoopbackOrigin(origin));
}

/**
 * Whether a request's `Host` names localhost or a loopback address: a page on a DNS-rebound name
 * (`evil.example` resolving to 127.0.0.1) sends its own name, and a server that only listens on
 * loopback has no reason to answer it.
 */
export function addressedToThisMachine(req: IncomingMessage): boolean {
  const host = req.headers.host ?? '';
  return isLoopbackHost(URL.canParse(`http://${host}`) ? new URL(`http://${host}`).hostname : '');
}
