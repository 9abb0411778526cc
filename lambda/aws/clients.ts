import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface ClientDefaults {
  readonly requestHandler: {
    httpAgent: HttpAgent;
    httpsAgent: HttpsAgent;
    connectionTimeout: number;
    requestTimeout: number;
  };
  readonly maxAttempts: number;
}

export interface ClientTimeouts {
  /** Milliseconds to establish a connection before giving up. */
  readonly connectionTimeoutMs: number;
  /** Milliseconds of socket inactivity before a request fails. */
  readonly requestTimeoutMs: number;
  /** SDK attempts per call (the SDK retries 5xx and socket errors, never KVS throttles). */
  readonly maxAttempts: number;
}

/**
 * Settings every SDK client of the process shares: keep-alive agents (so STS and KVS
 * connections are reused across sessions and requests) and explicit timeouts.
 */
export function clientDefaults(timeouts: ClientTimeouts): ClientDefaults {
  return {
    requestHandler: {
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 50 }),
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
    },
    maxAttempts: timeouts.maxAttempts,
  };
}
