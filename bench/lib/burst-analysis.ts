import type { CallRecord } from '../../local/emulator';
import { countBy, peakInWindow, round, tightestSpan } from './stats';

export interface UpstreamFigures {
  /** GetIceServerConfig calls for the channel. */
  readonly calls: number;
  /** Distinct `ClientId`s among them. */
  readonly identitiesSeen: number;
  /** Most calls any one `ClientId` caused. */
  readonly maxPerIdentity: number;
  /** Calls per identity of the burst, over all of them (those without a call count as 0). */
  readonly meanPerIdentity: number;
  /** Most calls in any one-second window. */
  readonly peakPerSecond: number;
  /**
   * Shortest time spanned by `limit + 1` consecutive calls, in ms (null when there are fewer):
   * below 1000, some one-second window held more than `limit` calls.
   */
  readonly tightestSpanMs: number | null;
}

/** What the emulator's recent-calls ring says about one channel's GetIceServerConfig calls. */
export function upstreamFigures(
  recent: readonly CallRecord[],
  channel: string,
  identities: number,
  limitPerSecond: number,
): UpstreamFigures {
  const calls = recent.filter((call) => call.op === 'GetIceServerConfig' && call.channel === channel);
  const times = calls.map((call) => call.at);
  const perIdentity = Object.values(countBy(calls, (call) => call.clientId ?? '(none)'));
  const span = tightestSpan(times, limitPerSecond + 1);
  return {
    calls: calls.length,
    identitiesSeen: perIdentity.length,
    maxPerIdentity: Math.max(0, ...perIdentity),
    meanPerIdentity: round(calls.length / identities, 2),
    peakPerSecond: peakInWindow(times, 1000),
    tightestSpanMs: Number.isFinite(span) ? span : null,
  };
}
