import type { IceServer } from './contract';

/** An ICE server as a peer connection reports it back (`RTCIceServer`: `urls` may be one string). */
type ConfiguredIceServer = Omit<IceServer, 'urls'> & { readonly urls: string | readonly string[] };

import type { IceServerClient, IceServers } from './ice-server-client';

/**
 * The part of `RTCPeerConnection` that {@link keepIceServersFresh} uses: a browser's, or a Node
 * WebRTC stack's with the same W3C methods.
 */
export interface RefreshablePeerConnection {
  readonly connectionState: string;
  readonly signalingState: string;
  getConfiguration(): { iceServers?: readonly ConfiguredIceServer[] };
  setConfiguration(configuration: { iceServers: IceServer[] }): void;
  addEventListener(type: 'connectionstatechange', listener: () => void): void;
  removeEventListener(type: 'connectionstatechange', listener: () => void): void;
}

/**
 * An `RTCConfiguration` with the channel's current ICE servers: `init` (for example
 * `{ iceTransportPolicy: 'relay' }` to use TURN only) plus `iceServers` from
 * `client.getIceServers()`. Rejects as that does, with an `IceServerError`.
 */
export async function rtcConfiguration<T extends object = Record<never, never>>(
  client: IceServerClient,
  init?: T,
): Promise<T & { iceServers: IceServer[] }> {
  const { iceServers } = await client.getIceServers();
  return { ...(init ?? ({} as T)), iceServers };
}

/** How {@link keepIceServersFresh} reports and retries. */
export interface KeepFreshOptions {
  /** Called after `setConfiguration` applied new servers (not when the server returned the same ones). */
  readonly onRefresh?: (servers: IceServers) => void;
  /** Called when a refresh failed (an `IceServerError`, or `setConfiguration`'s error); it is retried after `retryDelayMs`. */
  readonly onError?: (error: unknown) => void;
  /** Milliseconds before a failed refresh is tried again (default 5,000). */
  readonly retryDelayMs?: number;
  /** Stops the refreshes when it aborts, like {@link IceServerRefresh.stop}. */
  readonly signal?: AbortSignal;
}

/** A running {@link keepIceServersFresh}. */
export interface IceServerRefresh {
  /** Stops refreshing (idempotent); a request under way is abandoned. */
  stop(): void;
  /** True once stopped: by `stop()`, the signal, or the connection closing. */
  readonly stopped: boolean;
}

const DEFAULT_RETRY_DELAY_MS = 5_000;
/** Never ask again sooner than this after a success, whatever the cache says. */
const MIN_REFRESH_DELAY_MS = 1_000;

const isClosed = (pc: RefreshablePeerConnection) =>
  pc.connectionState === 'closed' || pc.signalingState === 'closed';

/** Servers compared by URLs and credentials; Chromium reports a STUN server's missing ones as `''`. */
const serverKey = (servers: readonly ConfiguredIceServer[] | undefined) =>
  JSON.stringify(
    (servers ?? []).map(({ urls, username, credential }) => [
      typeof urls === 'string' ? [urls] : urls,
      username || null,
      credential || null,
    ]),
  );

/** Timers must not keep a Node process alive for a connection it no longer uses. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/**
 * Keeps a live peer connection's ICE servers valid: before the TURN credentials it holds expire
 * (at `client.refreshMarginSeconds` before expiry), gets new ones through `client` and applies
 * them with `pc.setConfiguration({ ...pc.getConfiguration(), iceServers })`. Starts by applying
 * the client's current servers if the connection has others. Stops when the connection closes
 * (seen at the next refresh, or on `connectionstatechange`), on `stop()`, or when `signal` aborts.
 *
 * What `setConfiguration` changes, and when an ICE restart is needed: the new servers are used
 * the next time the connection gathers candidates, which is an ICE restart (`pc.restartIce()`, or
 * an offer made with `{ iceRestart: true }`) or a new transport. The candidate pair in use keeps
 * its TURN allocation and the credentials it was made with, so a connection that works is not
 * interrupted by a refresh. Restart ICE when the connection needs new candidates: when
 * `connectionState` becomes `failed` (or stays `disconnected`), after a network change, or
 * before the TURN server stops refreshing an allocation made with expired credentials (a TURN
 * server's policy). Because this helper keeps the configuration fresh, that restart gathers with
 * valid credentials; without it, a restart more than 300 s after the first gathering would
 * present expired ones and get no relay candidate.
 */
export function keepIceServersFresh(
  pc: RefreshablePeerConnection,
  client: IceServerClient,
  options: KeepFreshOptions = {},
): IceServerRefresh {
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const pending = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const onState = () => {
    if (isClosed(pc)) stop();
  };
  function stop(): void {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    pending.abort();
    pc.removeEventListener('connectionstatechange', onState);
    options.signal?.removeEventListener('abort', stop);
  }
  const schedule = (ms: number) => {
    timer = setTimeout(() => void refresh(), ms);
    unref(timer);
  };

  async function refresh(): Promise<void> {
    if (stopped || isClosed(pc)) return stop();
    try {
      const servers = await client.getIceServers({ signal: pending.signal });
      if (stopped || isClosed(pc)) return stop();
      const current = pc.getConfiguration();
      if (serverKey(current.iceServers) !== serverKey(servers.iceServers)) {
        pc.setConfiguration({ ...current, iceServers: servers.iceServers });
        options.onRefresh?.(servers);
      }
      schedule(Math.max(client.msUntilRefresh(), MIN_REFRESH_DELAY_MS));
    } catch (error) {
      if (stopped || isClosed(pc)) return stop();
      options.onError?.(error);
      schedule(retryDelayMs);
    }
  }

  if (options.signal?.aborted) stop();
  else {
    options.signal?.addEventListener('abort', stop, { once: true });
    pc.addEventListener('connectionstatechange', onState);
    schedule(0);
  }
  return {
    stop,
    get stopped() {
      return stopped;
    },
  };
}
