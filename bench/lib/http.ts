import { type Agent, request } from 'node:http';

export interface Timed {
  readonly status: number;
  readonly body: Buffer;
  /** Milliseconds from sending the request to the end of the response body. */
  readonly ms: number;
}

export interface SendOptions {
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Connection reuse; by default every call opens its own connection. */
  readonly agent?: Agent;
}

/** One HTTP request on loopback, timed end to end. Never rejects on an HTTP error status. */
export function send(method: string, url: string, options: SendOptions = {}): Promise<Timed> {
  const body = options.body ?? '';
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      url,
      {
        method,
        agent: options.agent ?? false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The broker's one route for `channel`. */
export const iceServersUrl = (apiUrl: string, channel: string) =>
  `${apiUrl}/v1/channels/${encodeURIComponent(channel)}/ice-servers`;
