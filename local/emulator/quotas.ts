import { z } from 'zod';
import { OPERATIONS, type Operation } from './model';
import type { OperationQuota, QuotaSettings } from './types';

/**
 * The request-rate quotas AWS enforces on the emulated operations, per account and Region (and
 * for some per channel too):
 *
 * - `GetIceServerConfig`: 5 TPS per channel (hard) and 100 TPS per account and Region (soft),
 *   from the KVS WebRTC developer guide, "TURN service quotas".
 * - `GetSignalingChannelEndpoint`: 300 TPS per account (hard), no per-channel quota;
 *   `DescribeSignalingChannel`: 300 TPS per account and 5 per channel; `ListSignalingChannels`:
 *   50 TPS per account (all hard), from the same guide, "Control plane API service quotas"
 *   (https://docs.aws.amazon.com/kinesisvideostreams-webrtc-dg/latest/devguide/kvswebrtc-limits.html).
 * - `AssumeRole` and `GetCallerIdentity`: STS's request quota of 600 requests per second per
 *   account and Region. The IAM user guide's quotas page in the reference library predates it;
 *   the figure is the one users hit (awslabs/mountpoint-s3#1358).
 * - `GetParameter`: Parameter Store's default throughput, 40 TPS per account and Region (shared
 *   with GetParameters and GetParametersByPath; "Systems Manager endpoints and quotas",
 *   https://docs.aws.amazon.com/general/latest/gr/ssm.html), answered `ThrottlingException`.
 *
 * Configurable, like every quota here.
 */
export const AWS_QUOTAS: Readonly<Record<Operation, OperationQuota>> = {
  AssumeRole: { perAccount: 600 },
  GetCallerIdentity: { perAccount: 600 },
  GetSignalingChannelEndpoint: { perAccount: 300 },
  DescribeSignalingChannel: { perAccount: 300, perChannel: 5 },
  ListSignalingChannels: { perAccount: 50 },
  GetIceServerConfig: { perChannel: 5, perAccount: 100 },
  // KVS WebRTC developer guide, "Service quotas": control plane, and "WebRTC ingestion service quotas".
  DescribeMediaStorageConfiguration: { perAccount: 50, perChannel: 5 },
  JoinStorageSession: { perAccount: 50, perChannel: 2 },
  JoinStorageSessionAsViewer: { perAccount: 50, perChannel: 2 },
  GetParameter: { perAccount: 40 },
};

/** A quota's window: "N TPS" read as its strictest form, at most N calls in any one second. */
const WINDOW_MS = 1000;

/**
 * Drops, in place, the arrival times (milliseconds) that fell out of the sliding one-second
 * window ending at `now`; returns `times`, now holding the arrivals of the last second.
 */
export function recentArrivals(times: number[], now: number): number[] {
  let kept = 0;
  for (const at of times) if (at > now - WINDOW_MS) times[kept++] = at;
  times.length = kept;
  return times;
}

/**
 * One rate of `perSecond` calls in any one second (sliding, counted on arrival): counts a call
 * at `now` in `times` and returns true when fewer than `perSecond` arrived in the last second;
 * returns false, counting nothing, when the rate is spent (refused calls do not count).
 */
export function admitArrival(times: number[], perSecond: number, now: number): boolean {
  if (recentArrivals(times, now).length >= perSecond) return false;
  times.push(now);
  return true;
}

const tps = z.int().min(1).max(100_000);
/** An account-wide operation's quota: the limit is required (an empty object would lift it). */
const accountQuota = z.strictObject({ perAccount: tps });
/** An operation limited per channel and per account: at least one of them. */
const channelQuota = z
  .strictObject({ perAccount: tps.optional(), perChannel: tps.optional() })
  .refine((quota) => quota.perAccount !== undefined || quota.perChannel !== undefined, {
    message: 'give perChannel, perAccount or both (an empty quota would lift the limit)',
  });

/** `POST /_emulator/quotas`: `{"enabled": false}`, or limits per operation (over AWS's), or both. */
export const quotaSettingsSchema = z.strictObject({
  enabled: z.boolean().optional(),
  limits: z
    .strictObject({
      AssumeRole: accountQuota.optional(),
      GetCallerIdentity: accountQuota.optional(),
      GetSignalingChannelEndpoint: accountQuota.optional(),
      DescribeSignalingChannel: channelQuota.optional(),
      ListSignalingChannels: accountQuota.optional(),
      GetIceServerConfig: channelQuota.optional(),
      DescribeMediaStorageConfiguration: channelQuota.optional(),
      JoinStorageSession: channelQuota.optional(),
      JoinStorageSessionAsViewer: channelQuota.optional(),
      GetParameter: accountQuota.optional(),
    } satisfies Record<Operation, unknown>)
    .optional(),
});

/** The quotas in force, as `GET /_emulator/quotas` shows them. */
export interface QuotaState {
  readonly enabled: boolean;
  readonly limits: Record<Operation, OperationQuota>;
}

/**
 * Admits or throttles calls as AWS's request-rate quotas would. A quota of N TPS admits at most
 * N calls in any one-second window (sliding, counted on arrival); throttled calls do not count,
 * as AWS does not count the calls it refuses. AWS does not document its algorithm: a token
 * bucket of N tokens refilled at N per second would admit everything this admits, and more.
 * Time is the real monotonic clock, not the emulated AWS clock, whose offset (and a test's
 * frozen clock) is about skew, not rates.
 */
export class QuotaEnforcer {
  private state: QuotaState;
  /** Per window (operation, scope, channel), the arrival times of the admitted calls of the last second. */
  private readonly windows = new Map<string, number[]>();

  /** Throws a TypeError when `settings` are invalid (limits must be whole numbers from 1). */
  constructor(
    settings: QuotaSettings | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.state = { enabled: true, limits: { ...AWS_QUOTAS } };
    if (settings === undefined) return;
    const parsed = quotaSettingsSchema.safeParse(settings);
    if (!parsed.success)
      throw new TypeError(`startEmulator: invalid quotas: ${z.prettifyError(parsed.error)}`);
    this.update(parsed.data);
  }

  /**
   * Counts a call of `operation` (on `channel`, for the KVS operations) when every quota that
   * applies has room; returns false, counting nothing, when one of them is spent.
   */
  admit(operation: Operation, channel?: string): boolean {
    if (!this.state.enabled) return true;
    const { perAccount, perChannel } = this.state.limits[operation];
    const now = this.now();
    const windows: [string, number][] = [];
    if (perAccount !== undefined) windows.push([`${operation}|account`, perAccount]);
    if (perChannel !== undefined && channel !== undefined)
      windows.push([`${operation}|channel|${channel}`, perChannel]);
    const recent = windows.map(([key, limit]) => [key, limit, this.recent(key, now)] as const);
    if (recent.some(([, limit, arrivals]) => arrivals.length >= limit)) return false;
    for (const [key, , arrivals] of recent) {
      arrivals.push(now);
      this.windows.set(key, arrivals);
    }
    return true;
  }

  /** Applies `POST /_emulator/quotas`: turns enforcement on or off, replaces limits of the operations named. */
  update(settings: QuotaSettings): void {
    const limits = { ...this.state.limits };
    for (const operation of OPERATIONS) {
      const quota = settings.limits?.[operation];
      if (quota !== undefined) limits[operation] = { ...quota };
    }
    this.state = { enabled: settings.enabled ?? this.state.enabled, limits };
    this.windows.clear();
  }

  toJSON(): QuotaState {
    return { enabled: this.state.enabled, limits: structuredClone(this.state.limits) };
  }

  /** The arrivals of the last second in a window; windows left empty are dropped. */
  private recent(key: string, now: number): number[] {
    const arrivals = recentArrivals(this.windows.get(key) ?? [], now);
    if (arrivals.length === 0) this.windows.delete(key);
    return arrivals;
  }
}
