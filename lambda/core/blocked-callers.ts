import { VendingError } from './errors';
import type { Metrics } from './metrics';
import type { Clock } from './ports';

/** The callers an operator refuses (the parameter's `BLOCKED_CALLERS_FORMAT`, lambda/contract.ts). */
export interface BlockedCallers {
  /** Opaque caller ids, as logged in `clientId` (`u-…`, `c-…`, `iam-…`). */
  readonly callerIds: ReadonlySet<string>;
  /** JWT `sub` claims, exactly as the tokens carry them. */
  readonly subjects: ReadonlySet<string>;
}

const KEYS = ['callerIds', 'subjects'] as const;

/** An entry of the list that differs from its trimmed form: matched exactly, it would block nobody it means. */
export interface PaddedBlockedCallersEntry {
  readonly key: (typeof KEYS)[number];
  readonly index: number;
  /** The entry as written: only for its author (a start or synth error), never for a log. */
  readonly value: string;
}

/** What each key's entries are, in a message: `subjects are matched exactly`. */
const ENTRY_KINDS: Readonly<Record<(typeof KEYS)[number], string>> = {
  callerIds: 'caller ids',
  subjects: 'subjects',
};

/**
 * A blocked-callers value that is not `{"callerIds": [...], "subjects": [...]}`; the message says
 * what is wrong without echoing any entry, so the function may log it.
 */
export class InvalidBlockedCallersError extends Error {
  override readonly name = 'InvalidBlockedCallersError';

  /** @param padded the entries refused for surrounding whitespace, if that is the problem. */
  constructor(
    message: string,
    readonly padded: readonly PaddedBlockedCallersEntry[] = [],
  ) {
    super(message);
  }

  /**
   * The message naming the refused entries too (`subjects[2] " alice " has surrounding
   * whitespace: …`), for the operator who wrote the list (`npm start`), never for a log.
   */
  describeWithEntries(): string {
    if (this.padded.length === 0) return this.message;
    return this.padded.map((entry) => paddedProblem(entry, JSON.stringify(entry.value))).join('; ');
  }
}

function paddedProblem(entry: PaddedBlockedCallersEntry, shown?: string): string {
  const where = `${entry.key}[${entry.index}]${shown === undefined ? '' : ` ${shown}`}`;
  return `${where} has surrounding whitespace: ${ENTRY_KINDS[entry.key]} are matched exactly`;
}

/**
 * Parses the blocked-callers value: a JSON object with optional `callerIds` and `subjects`, each
 * an array of non-empty strings, and no other key. Entries are opaque and matched exactly, as
 * written: one with leading or trailing whitespace is refused (it could never match what it
 * seems to name, and trimming it would block another caller instead). Throws
 * {@link InvalidBlockedCallersError} naming the problem (entries by index, never by value).
 */
export function parseBlockedCallers(raw: string): BlockedCallers {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new InvalidBlockedCallersError('the value is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidBlockedCallersError(
      'the value is not a JSON object {"callerIds": [...], "subjects": [...]}',
    );
  const unknown = Object.keys(value).find((key) => !KEYS.some((known) => known === key));
  if (unknown !== undefined)
    throw new InvalidBlockedCallersError(`unknown key "${unknown}"; the keys are callerIds and subjects`);
  const list = (key: (typeof KEYS)[number]): string[] => {
    const items: unknown = (value as Record<string, unknown>)[key] ?? [];
    if (
      !Array.isArray(items) ||
      !items.every((item): item is string => typeof item === 'string' && item !== '')
    )
      throw new InvalidBlockedCallersError(`${key} must be an array of non-empty strings`);
    return items;
  };
  const lists = { callerIds: list('callerIds'), subjects: list('subjects') };
  const padded = KEYS.flatMap((key) =>
    lists[key].flatMap((entry, index) => (entry.trim() === entry ? [] : [{ key, index, value: entry }])),
  );
  if (padded.length > 0)
    throw new InvalidBlockedCallersError(padded.map((entry) => paddedProblem(entry)).join('; '), padded);
  return { callerIds: new Set(lists.callerIds), subjects: new Set(lists.subjects) };
}

/** Who a request comes from, as far as blocking is concerned. */
export interface BlockableCaller {
  /** The opaque caller id; undefined for anonymous callers (auth mode `none`), whom no list can name. */
  readonly clientId?: string;
  /** The JWT `sub` claim, when the caller presented a token with one. */
  readonly subject?: string;
}

export interface BlockedCallersCheckOptions {
  /**
   * The list's current raw value (the parameter's `Value`). The adapter may cache it: the check
   * asks on every request of an identified caller, and caching is what bounds how fast a block
   * takes effect. Rejects when the value cannot be read.
   */
  readonly source: () => Promise<string>;
  /** Records `BlockedCallersUnreadable` and logs the reason of each failed read. */
  readonly metrics: Metrics;
  /** After a failed read, how long the check relies on what it has before it asks again (default 5000). */
  readonly retryAfterFailureMs?: number;
  readonly clock?: Clock;
}

/** Seconds a client should wait after the check found no list to check callers against. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * Refuses callers an operator blocked (403 `CallerBlocked`), from a list that changes without a
 * deploy. Fails closed, without letting a blocked caller through or taking the service down:
 * - a failed read, or a value that is not a valid list, keeps the last good list in force (a
 *   block never lapses), is counted (`BlockedCallersUnreadable`) and logged, and is retried after
 *   `retryAfterFailureMs`;
 * - while no list was ever read (a cold start during an SSM outage, or an invalid value from the
 *   start), identified callers get 503 `Unavailable` with `Retry-After`: nobody is served
 *   unchecked. Anonymous callers (auth `none`) are never checked, so never refused.
 */
export class BlockedCallersCheck {
  private lastGood: BlockedCallers | undefined;
  private lastRaw: string | undefined;
  private retryAt = 0;
  private readonly clock: Clock;
  private readonly retryAfterFailureMs: number;

  constructor(private readonly options: BlockedCallersCheckOptions) {
    this.clock = options.clock ?? Date.now;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 5000;
  }

  /**
   * Resolves when `caller` may be served; throws `VendingError` 403 `CallerBlocked` when the list
   * names its id or its subject, 503 `Unavailable` when no list could ever be read.
   */
  async check(caller: BlockableCaller): Promise<void> {
    if (caller.clientId === undefined && caller.subject === undefined) return;
    const list = await this.current();
    if (list === undefined) {
      throw new VendingError(
        'Unavailable',
        'the list of blocked callers could not be read yet; retry shortly',
        { retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS },
      );
    }
    const byId = caller.clientId !== undefined && list.callerIds.has(caller.clientId);
    const bySubject = caller.subject !== undefined && list.subjects.has(caller.subject);
    if (byId || bySubject)
      throw new VendingError('CallerBlocked', 'this caller is blocked by the API operator');
  }

  /** Reads the list ahead of the first request (cold start); failures are handled as in {@link check}. */
  async load(): Promise<void> {
    await this.current();
  }

  /** The list in force: a fresh read, or the last good one while reads fail (undefined if there never was one). */
  private async current(): Promise<BlockedCallers | undefined> {
    if (this.clock() < this.retryAt) return this.lastGood;
    try {
      const raw = await this.options.source();
      if (raw !== this.lastRaw || this.lastGood === undefined) {
        this.lastGood = parseBlockedCallers(raw);
        this.lastRaw = raw;
      }
      return this.lastGood;
    } catch (error) {
      this.retryAt = this.clock() + this.retryAfterFailureMs;
      this.options.metrics.add('BlockedCallersUnreadable', 'Count', 1);
      this.options.metrics.warn?.('blocked callers unreadable: the last good list stays in force', {
        errorName: (error as Error | undefined)?.name,
        // Only the parser's own messages: an SDK message may echo request details.
        ...(error instanceof InvalidBlockedCallersError ? { problem: error.message } : {}),
        ...(this.lastGood === undefined ? { neverLoaded: true } : {}),
      });
      return this.lastGood;
    }
  }
}
