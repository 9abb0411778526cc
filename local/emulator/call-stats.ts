import { OPERATIONS, type Operation } from './model';
import type { CallRecord, ChannelOperation, ChannelStats, EmulatorStats } from './types';

const CHANNEL_OPERATIONS: readonly string[] = [
  'GetSignalingChannelEndpoint',
  'GetIceServerConfig',
] satisfies ChannelOperation[];
const isChannelOperation = (op: Operation): op is ChannelOperation => CHANNEL_OPERATIONS.includes(op);

/** Default number of recent KVS calls kept for peak-rate analysis. */
export const RECENT_CALLS_CAPACITY = 20_000;

const perOperation = (): Record<Operation, number> =>
  Object.fromEntries(OPERATIONS.map((op) => [op, 0])) as Record<Operation, number>;

const increment = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

/** Counters behind `GET /_emulator/stats` (see {@link EmulatorStats} for what counts). */
export class StatsRecorder {
  private since = 0;
  private operations = perOperation();
  private faults = perOperation();
  private throttled = perOperation();
  private channels = new Map<string, ChannelStats>();
  private clientIds = new Map<string, number>();
  private rejected = new Map<string, number>();
  private ring: CallRecord[] = [];
  private next = 0;

  constructor(
    private readonly now: () => number,
    private readonly capacity = RECENT_CALLS_CAPACITY,
  ) {
    this.reset();
  }

  /**
   * A call that passed authentication and validation and reached its operation; `throttled` when
   * a request-rate quota refused it (it still counts as a call).
   */
  recordCall(op: Operation, channel?: string, clientId?: string, throttled = false): void {
    this.operations[op]++;
    if (throttled) this.throttled[op]++;
    if (!isChannelOperation(op) || channel === undefined) return;
    const perChannel = this.channels.get(channel) ?? {
      total: 0,
      GetSignalingChannelEndpoint: 0,
      GetIceServerConfig: 0,
      throttled: { GetSignalingChannelEndpoint: 0, GetIceServerConfig: 0 },
    };
    perChannel.total++;
    perChannel[op]++;
    if (throttled) perChannel.throttled[op]++;
    this.channels.set(channel, perChannel);
    if (op === 'GetIceServerConfig' && clientId !== undefined) increment(this.clientIds, clientId);
    this.remember({ op, channel, clientId: clientId ?? null, at: this.now(), throttled });
  }

  /** A call answered (or delayed) by an injected fault. */
  recordFault(op: Operation): void {
    this.faults[op]++;
  }

  /** An error response the emulator produced itself, by AWS error code. */
  recordRejection(code: string): void {
    increment(this.rejected, code);
  }

  /** Zeroes every counter and empties the recent calls; `since` becomes now. */
  reset(): void {
    this.since = this.now();
    this.operations = perOperation();
    this.faults = perOperation();
    this.throttled = perOperation();
    this.channels = new Map();
    this.clientIds = new Map();
    this.rejected = new Map();
    this.ring = [];
    this.next = 0;
  }

  /** A copy of the counters, as `GET /_emulator/stats` returns them. */
  snapshot(): EmulatorStats {
    return {
      since: new Date(this.since).toISOString(),
      operations: { ...this.operations },
      channels: Object.fromEntries(
        [...this.channels].map(([name, s]) => [name, { ...s, throttled: { ...s.throttled } }]),
      ),
      clientIds: Object.fromEntries(this.clientIds),
      faultsInjected: { ...this.faults },
      throttled: { ...this.throttled },
      rejected: Object.fromEntries(this.rejected),
      recentCalls: [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)].map((r) => ({ ...r })),
      recentCallsCapacity: this.capacity,
    };
  }

  private remember(record: CallRecord): void {
    if (this.ring.length < this.capacity) {
      this.ring.push(record);
      return;
    }
    this.ring[this.next] = record;
    this.next = (this.next + 1) % this.capacity;
  }
}
