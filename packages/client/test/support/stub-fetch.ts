/** A `fetch` stand-in that answers from a script and records every request. */

export interface StubAnswer {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Never answer (until the request's signal aborts, which rejects like fetch does). */
  readonly hang?: boolean;
  /** Reject like fetch does when the network fails. */
  readonly networkError?: boolean;
}

export interface RecordedRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly signal: AbortSignal | undefined;
}

/** A 200 body of the API's shape with `ttl` seconds and one TURN set whose username is `username`. */
export function answerBody(ttl = 299, username = 'user-1', expiresAt = '2026-11-24T10:05:00.000Z') {
  return {
    iceServers: [
      { urls: ['stun:stun.kinesisvideo.us-west-2.amazonaws.com:443'] },
      { urls: ['turn:127.0.0.1:3478?transport=udp'], username, credential: `secret-of-${username}` },
    ],
    ttl,
    expiresAt,
    channelArn: 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000',
  };
}

/**
 * A fetch that answers each request with the next scripted answer (the last one repeats), and
 * the requests it saw.
 */
export function stubFetch(...script: StubAnswer[]) {
  const requests: RecordedRequest[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const signal = init.signal ?? undefined;
    requests.push({ url, headers, body, signal });
    const answer = script[Math.min(requests.length - 1, script.length - 1)] ?? {};
    if (answer.networkError) throw new TypeError('fetch failed');
    if (answer.hang) {
      await new Promise((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }
    return new Response(JSON.stringify(answer.body ?? answerBody()), {
      status: answer.status ?? 200,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  };
  return { fetch, requests };
}

/** An answer the broker gives for `code` with `status`, as `{"error": {"code", "message"}}`. */
export const brokerError = (status: number, code: string, headers?: Record<string, string>): StubAnswer => ({
  status,
  body: { error: { code, message: `the broker says ${code}` } },
  ...(headers ? { headers } : {}),
});
