import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type IceServer,
  IceServerClient,
  keepIceServersFresh,
  type RefreshablePeerConnection,
  rtcConfiguration,
} from '../src';
import { answerBody, brokerError, stubFetch } from './support/stub-fetch';

/** An RTCPeerConnection stand-in: its configuration, the setConfiguration calls, and close(). */
class FakePeerConnection implements RefreshablePeerConnection {
  connectionState = 'connected';
  signalingState = 'stable';
  readonly applied: IceServer[][] = [];
  private configuration: { iceServers?: readonly IceServer[]; iceTransportPolicy: string };
  private readonly listeners = new Set<() => void>();

  constructor(iceServers: readonly IceServer[]) {
    this.configuration = { iceServers, iceTransportPolicy: 'relay' };
  }
  getConfiguration() {
    return this.configuration;
  }
  setConfiguration(configuration: { iceServers: IceServer[]; iceTransportPolicy?: string }) {
    this.applied.push(configuration.iceServers);
    this.configuration = { iceTransportPolicy: 'all', ...configuration };
  }
  addEventListener(_type: 'connectionstatechange', listener: () => void) {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'connectionstatechange', listener: () => void) {
    this.listeners.delete(listener);
  }
  /** Like RTCPeerConnection.close(): the states change and, per the spec, no event fires. */
  close() {
    this.connectionState = 'closed';
    this.signalingState = 'closed';
  }
  fail() {
    this.connectionState = 'closed';
    for (const listener of this.listeners) listener();
  }
  get listenerCount() {
    return this.listeners.size;
  }
}

const usernames = (servers: readonly IceServer[][]) => servers.map((set) => set[1]?.username);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rtcConfiguration', () => {
  it('adds the current ICE servers to the given configuration', async () => {
    const client = new IceServerClient({
      baseUrl: 'http://127.0.0.1:8080',
      channel: 'demo',
      fetch: stubFetch({}).fetch,
    });

    const configuration = await rtcConfiguration(client, { iceTransportPolicy: 'relay' as const });

    expect(configuration).toEqual({ iceTransportPolicy: 'relay', iceServers: answerBody().iceServers });
  });
});

describe('keepIceServersFresh', () => {
  /** A client whose answers carry `ttl` 299 and usernames first, second, …; and a connection made with the first. */
  async function connected(margin = 60, ...script: Parameters<typeof stubFetch>) {
    const stub = stubFetch(
      ...(script.length > 0
        ? script
        : ['first', 'second', 'third'].map((name) => ({ body: answerBody(299, name) }))),
    );
    const client = new IceServerClient({
      baseUrl: 'http://127.0.0.1:8080',
      channel: 'demo',
      fetch: stub.fetch,
      refreshMarginSeconds: margin,
    });
    const pc = new FakePeerConnection((await client.getIceServers()).iceServers);
    return { stub, client, pc };
  }

  it('applies new credentials with setConfiguration before the old ones expire, keeping the rest of the configuration', async () => {
    const { pc, client } = await connected(60);
    const refreshed: string[] = [];

    const refresh = keepIceServersFresh(pc, client, {
      onRefresh: (servers) => refreshed.push(String(servers.iceServers[1]?.username)),
    });
    await vi.advanceTimersByTimeAsync(238_000);
    const before = pc.applied.length;
    await vi.advanceTimersByTimeAsync(1_000);

    expect(before).toBe(0);
    expect(usernames(pc.applied)).toEqual(['second']);
    expect(refreshed).toEqual(['second']);
    expect(pc.getConfiguration().iceTransportPolicy).toBe('relay');
    refresh.stop();
  });

  it('keeps refreshing, once per credential lifetime', async () => {
    const { pc, client } = await connected(60);

    const refresh = keepIceServersFresh(pc, client);
    await vi.advanceTimersByTimeAsync(2 * 239_000 + 1_000);

    expect(usernames(pc.applied)).toEqual(['second', 'third']);
    refresh.stop();
  });

  it('stops at its next refresh once the connection is closed, without asking for credentials', async () => {
    const { pc, client, stub } = await connected(60);
    const refresh = keepIceServersFresh(pc, client);
    await vi.advanceTimersByTimeAsync(1_000);

    pc.close();
    await vi.advanceTimersByTimeAsync(600_000);

    expect(refresh.stopped).toBe(true);
    expect(pc.applied).toEqual([]);
    expect(stub.requests).toHaveLength(1);
  });

  it('stops when the connection reports it closed, and on stop()', async () => {
    const { pc, client } = await connected(60);
    const first = keepIceServersFresh(pc, client);
    const second = keepIceServersFresh(pc, client);

    second.stop();
    pc.fail();

    expect(first.stopped).toBe(true);
    expect(second.stopped).toBe(true);
    expect(pc.listenerCount).toBe(0);
  });

  it('reports a failed refresh and tries again after retryDelayMs', async () => {
    const { pc, client } = await connected(
      60,
      { body: answerBody(299, 'first') },
      brokerError(403, 'ChannelNotAllowed'),
      { body: answerBody(299, 'second') },
    );
    const errors: unknown[] = [];

    const refresh = keepIceServersFresh(pc, client, {
      onError: (error) => errors.push(error),
      retryDelayMs: 5_000,
    });
    await vi.advanceTimersByTimeAsync(239_000);
    const afterFailure = pc.applied.length;
    await vi.advanceTimersByTimeAsync(5_000);

    expect(afterFailure).toBe(0);
    expect(errors).toEqual([expect.objectContaining({ code: 'ChannelNotAllowed' })]);
    expect(usernames(pc.applied)).toEqual(['second']);
    refresh.stop();
  });

  it('starts by applying the current servers to a connection that has others', async () => {
    const { client } = await connected(60);
    const pc = new FakePeerConnection([{ urls: 'turn:old.example.com', username: 'old', credential: 'x' }]);

    const refresh = keepIceServersFresh(pc, client);
    await vi.advanceTimersByTimeAsync(0);

    expect(usernames(pc.applied)).toEqual(['first']);
    refresh.stop();
  });

  it("leaves a connection alone whose servers differ only by Chromium's empty STUN username and credential", async () => {
    const { client } = await connected(60);
    const reported = (await client.getIceServers()).iceServers.map((server) => ({
      username: '',
      credential: '',
      ...server,
    }));
    const pc = new FakePeerConnection(reported);

    const refresh = keepIceServersFresh(pc, client);
    await vi.advanceTimersByTimeAsync(0);

    expect(pc.applied).toEqual([]);
    refresh.stop();
  });

  it('does nothing when started with an aborted signal', async () => {
    const { pc, client } = await connected(60);

    const refresh = keepIceServersFresh(pc, client, { signal: AbortSignal.abort() });
    await vi.advanceTimersByTimeAsync(600_000);

    expect(refresh.stopped).toBe(true);
    expect(pc.applied).toEqual([]);
  });
});
