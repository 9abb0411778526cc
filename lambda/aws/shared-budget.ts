import { LRUCache } from 'lru-cache';
import { SHARED_TABLE } from '../contract';
import { abortable, sleep as realSleep, type Sleep } from '../core/abort';
import {
  type BudgetLimits,
  type BudgetRequest,
  type CallBudget,
  limitsOf,
  type QuotaLimits,
  type Release,
  SharedStateUnavailable,
  WINDOW_MS,
  type WindowKind,
  windowFull,
  windowKeys,
  windowLimit,
} from '../core/budget';
import type { Clock } from '../core/ports';
import { growingBound } from '../core/refreshing-cache';
import { expiresAtOf, type Item, isConditionFailure, numberOf, type SharedTable } from './shared-table';

export interface SharedCallBudgetOptions {
  readonly table: SharedTable;
  readonly limits: BudgetLimits;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** Milliseconds a slot is held beyond one second from when it is taken; see {@link ARRIVAL_GUARD_MS}. */
  readonly arrivalGuardMs?: number;
}

/**
 * A channel or account slot is held for one second plus this from when its write is sent: it
 * covers the write's answer and the KVS call's way to KVS, which counts the call when it arrives.
 * A call still in flight when this has passed keeps its slot by extending it (see
 * {@link IN_FLIGHT_STEP_MS}), so that whenever it arrives, its slot frees at least one second later.
 */
export const ARRIVAL_GUARD_MS = 250;

/** While a call is in flight past its guard, its slots are extended this far ahead at a time (one write each). */
const IN_FLIGHT_STEP_MS = 1000;

/**
 * The most time before a slot's end at which a write must be sent that moves it (an extension, or
 * a call's end): a second, or the table's timeout when shorter, by which the write has landed or
 * is known to have failed (see {@link SharedCallBudget}).
 */
const LAND_BY_MS = WINDOW_MS.channel;

/** At the end of a call, a slot held longer than needed is given back early when that frees more than this. */
const GIVE_BACK_EARLY_MS = 250;

/** Attempts at one window when other instances keep taking the slot this one believed free. */
const RACE_ATTEMPTS = 3;
/** How long to wait before trying again after losing every race for a window. */
const RACE_BACKOFF_MS = 25;
/** How many windows' last known state an instance remembers. */
const KNOWN_WINDOWS = 10_000;
/** Items outlive their last slot by this much before DynamoDB may remove them. */
const ITEM_LINGER_MS = 3600_000;

/** Slot `i` of a window item: the attribute holding when it frees, epoch ms. */
const slotName = (i: number) => `s${i}`;

/** One window of a call: its kind, its item's key, its limit (slots) and the limits it is one of (for its 429). */
interface Window {
  readonly kind: WindowKind;
  readonly key: string;
  readonly limit: number;
  readonly limits: QuotaLimits;
}

/** One slot this instance holds for a call. */
interface Held extends Window {
  readonly slot: number;
  /** When the slot frees as the table has it (epoch ms); moved by extensions and settling. */
  until: number;
  /** A write moving `until` that has not answered yet: the call's end waits for it before deciding. */
  moving?: Promise<void>;
}

/** A slot taken for a call: its index, and its end as written. */
interface Taken {
  readonly slot: number;
  readonly until: number;
}

/** A call of this instance that wants a slot of a window (see {@link SharedCallBudget.take}). */
interface Want {
  readonly holdMs: number;
  readonly signal?: AbortSignal;
  resolve(taken: Taken | Full): void;
  reject(error: unknown): void;
}

/** A signal that never aborts. */
const NEVER = new AbortController().signal;

/** A window with no free slot: when its earliest slot frees, as far as this instance knows. */
interface Full {
  readonly freeAt: number;
}

/**
 * The call budget every function instance shares, in the shared DynamoDB table: the same
 * windows as the per-instance budget (per caller, per channel, per account), each a sliding
 * window kept as one item with one attribute per slot, holding when that slot frees. A call takes
 * one free slot of each of its windows with one conditional UpdateItem per window
 * (`SET sN = :until IF sN <= :now`), all of them sent at once (one round trip); the calls of one
 * instance that want slots of one window while its write is on its way share the next write, a
 * slot each (`SET sA = :until, sB = :until IF both are free`). So at most `limit` calls can hold a
 * window's slots at once, whichever instance sends them: a sliding window, not
 * fixed windows, because KVS's 5 calls per second per channel is a hard limit that two
 * back-to-back fixed windows would exceed (5 at the end of one second, 5 at the start of the
 * next). Cache hits write nothing. Windows this instance last saw full are taken first, so that a
 * refusal, or a wait, holds no slot of the call's other windows.
 *
 * A channel or account slot is held for one second plus {@link ARRIVAL_GUARD_MS} from when it is
 * taken, and for as long as its call is in flight beyond that (extended a second at a time), then
 * until one second after the answer: KVS counts a call when it arrives, which is somewhere between
 * sending and the answer. A call answered within the guard writes nothing more; one answered later,
 * but before its slot's end is the table's timeout away, moves its end once (no extension: until
 * the slot ends, no other instance can take it); one answered while its extension is on its way
 * waits for it and writes nothing more either, unless it must.
 *
 * Each instance remembers the last state of each window it saw (every write returns it), picks
 * the slots it believes free nearest after a starting point of its own (so that instances rarely
 * pick the same) and that none of its own calls is taking, and learns the true state from
 * a failed condition. A full window means a wait until its earliest slot frees (up to `maxWaitMs`;
 * never for the caller window), else 429 with that time as `Retry-After`; slots already taken for
 * the call are given back. Rejects with `SharedStateUnavailable` when DynamoDB fails or is slow:
 * the caller falls back.
 */
export class SharedCallBudget implements CallBudget {
  private readonly known = new LRUCache<string, number[]>(growingBound(KNOWN_WINDOWS));
  /** Per window, the slots this instance's calls are taking right now, and until when. */
  private readonly taking = new Map<string, Map<number, number>>();
  /** Per window, the end of the queue of this instance's calls for it (see {@link inTurn}). */
  private readonly turns = new Map<string, Promise<void>>();
  /** Per window, this instance's calls that want a slot of it and wait for the next write (see {@link take}). */
  private readonly wanting = new Map<string, Want[]>();
  /** Where in each window this instance looks for free slots first (a fraction of its slots; see {@link write}). */
  private readonly home = Math.random();
  /** The windows this instance has a write on its way for. */
  private readonly writing = new Set<string>();
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly guardMs: number;
  /** How long before a slot's end a write moving it is sent (see {@link LAND_BY_MS}). */
  private readonly landMs: number;

  constructor(private readonly options: SharedCallBudgetOptions) {
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
    this.guardMs = options.arrivalGuardMs ?? ARRIVAL_GUARD_MS;
    this.landMs = Math.min(LAND_BY_MS, options.table.timeoutMs);
  }

  async acquire(request: BudgetRequest, signal?: AbortSignal): Promise<Release> {
    const giveUpAt = this.clock() + this.options.limits.maxWaitMs;
    const limits = limitsOf(request, this.options.limits);
    const windows = windowKeys(request).map(({ kind, key }) => ({
      kind,
      key,
      limit: windowLimit(limits, kind),
      limits,
    }));
    // Windows last seen full go first: their refusal, or their wait, then holds no slot of the others.
    const now = this.clock();
    const full = windows.filter((window) => this.freeSlots(window.key, window.limit, now).length === 0);
    const held: Held[] = [];
    try {
      await this.takeAll(full, giveUpAt, held, signal);
      await this.takeAll(
        windows.filter((window) => !full.includes(window)),
        giveUpAt,
        held,
        signal,
      );
      await this.renewLapsing(held, giveUpAt, signal);
    } catch (error) {
      // With DynamoDB failing, giving slots back would only wait for more timeouts; they expire.
      if (!(error instanceof SharedStateUnavailable)) await this.giveBack(held);
      throw error;
    }
    const stopKeepingAlive = this.keepAlive(held);
    return () => {
      stopKeepingAlive();
      return this.settle(held);
    };
  }

  /**
   * A channel or account slot taken before the call waited for another of its windows may have
   * ended meanwhile, and gone to another call: each slot that ended is moved to one second plus
   * the guard from now before the call starts, or, when it is no longer this call's, a slot of its
   * window is taken again (which may wait, so this looks again). A slot still held is left to
   * {@link keepAlive}; calls that did not wait write nothing here. Rejects with 429 when the slots
   * keep being lost.
   */
  private async renewLapsing(held: Held[], giveUpAt: number, signal?: AbortSignal): Promise<void> {
    for (let round = 0; round < RACE_ATTEMPTS; round++) {
      let retaken = false;
      for (const [i, slot] of held.entries()) {
        const now = this.clock();
        if (slot.kind === 'caller' || slot.until > now) continue;
        const before = slot.until;
        await this.move(slot, now + WINDOW_MS[slot.kind] + this.guardMs);
        if (slot.until !== before) continue;
        const { kind, key, limit, limits } = slot;
        held[i] = await this.takeWindow({ kind, key, limit, limits }, giveUpAt, signal, signal ?? NEVER);
        retaken = true;
      }
      if (!retaken) return;
    }
    const lapsing = held.find((slot) => slot.kind !== 'caller' && slot.until <= this.clock());
    if (lapsing) throw windowFull(lapsing.kind, lapsing.limits, WINDOW_MS[lapsing.kind]);
  }

  /**
   * Takes a slot of every window in `windows` at once, pushing each into `held` as it is taken.
   * The first window to fail ends the others' waits (not their writes, which may have landed:
   * what they took is in `held`, for the caller to give back) and is what this rejects with.
   */
  private async takeAll(
    windows: readonly Window[],
    giveUpAt: number,
    held: Held[],
    signal?: AbortSignal,
  ): Promise<void> {
    const stop = new AbortController();
    const waits = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    let failure: { error: unknown } | undefined;
    await Promise.all(
      windows.map((window) =>
        this.takeWindow(window, giveUpAt, signal, waits).then(
          (slot) => {
            held.push(slot);
          },
          (error: unknown) => {
            failure ??= { error };
            stop.abort(error);
          },
        ),
      ),
    );
    if (failure) throw failure.error;
  }

  /**
   * One slot of `window`, waiting in turn for one to free when it is full. Writes follow `signal`
   * (the request's); waits also end when `waits` aborts (another window of the call failed).
   */
  private async takeWindow(
    window: Window,
    giveUpAt: number,
    signal: AbortSignal | undefined,
    waits: AbortSignal,
  ): Promise<Held> {
    const { kind, key, limit, limits } = window;
    const attempt = async (): Promise<Held | Full> => {
      const now = this.clock();
      const taken = await this.take(
        key,
        limit,
        WINDOW_MS[kind] + (kind === 'caller' ? 0 : this.guardMs),
        signal,
      );
      if ('freeAt' in taken) {
        if (kind === 'caller' || taken.freeAt > giveUpAt) throw windowFull(kind, limits, taken.freeAt - now);
        return taken;
      }
      return { ...window, ...taken };
    };
    const slot = await attempt();
    if (!('freeAt' in slot)) return slot;
    // A full window: this instance's waiters queue for it (see inTurn) and take the slots as they free.
    return this.inTurn(key, waits, async () => {
      for (let next = slot; ; ) {
        await this.sleep(Math.max(0, next.freeAt - this.clock()), waits);
        const taken = await attempt();
        if (!('freeAt' in taken)) return taken;
        next = taken;
      }
    });
  }

  /**
   * Runs `work` once this instance's earlier calls for window `key` are done with it: the calls of
   * one instance that wait for a full window queue here, in order, instead of all racing each
   * other (and every other instance) for each slot that frees, a write and a read per loser.
   */
  private async inTurn<T>(key: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> {
    const before = this.turns.get(key) ?? Promise.resolve();
    let finished = () => {};
    const mine = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const tail = before.then(() => mine);
    this.turns.set(key, tail);
    try {
      await abortable(before, signal);
      return await work();
    } finally {
      finished();
      tail.then(() => {
        if (this.turns.get(key) === tail) this.turns.delete(key);
      });
    }
  }

  /**
   * Takes a free slot of the window `key`, held for `holdMs` from when its write is sent: its index
   * and end, or, when the window is full, when its earliest slot frees. The calls of this instance
   * that want a slot of one window while a write for it is on its way wait for that write, then
   * share the next: one write takes a slot for each of them (see {@link write}). Rejects with
   * `SharedStateUnavailable` when DynamoDB fails, or with the signal's reason when it aborts (a
   * slot taken for it meanwhile frees at its end).
   */
  private take(key: string, limit: number, holdMs: number, signal?: AbortSignal): Promise<Taken | Full> {
    const taken = new Promise<Taken | Full>((resolve, reject) => {
      const queue = this.wanting.get(key) ?? [];
      queue.push({ holdMs, signal, resolve, reject });
      this.wanting.set(key, queue);
    });
    if (!this.writing.has(key)) void this.writeAll(key, limit);
    return abortable(taken, signal);
  }

  /** Writes for the calls that want a slot of window `key`, in rounds, until none waits. */
  private async writeAll(key: string, limit: number): Promise<void> {
    this.writing.add(key);
    try {
      for (;;) {
        const wants = (this.wanting.get(key) ?? []).filter((want) => !want.signal?.aborted);
        this.wanting.delete(key);
        if (wants.length === 0) return;
        await this.write(key, limit, wants);
      }
    } finally {
      this.writing.delete(key);
    }
  }

  /**
   * One conditional UpdateItem that takes a free slot of window `key` for each of `wants`, as many
   * as it believes free (`SET sA = :until, sB = :until IF each is free`); a lost race is learnt
   * from and tried again with other slots. The wants it finds no slot for learn when the
   * earliest frees. Settles every want; never rejects.
   */
  private async write(key: string, limit: number, wants: readonly Want[]): Promise<void> {
    let confirmed = false;
    try {
      for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
        const now = this.clock();
        let free = this.freeSlots(key, limit, now);
        if (free.length === 0 && !confirmed) {
          // What this instance last saw may be out of date (another one gave a slot back): look.
          this.remember(key, await this.options.table.get(key), limit);
          confirmed = true;
          free = this.freeSlots(key, limit, now);
        }
        if (free.length === 0) {
          const freeAt = Math.min(...this.ends(key, limit));
          for (const want of wants) want.resolve({ freeAt });
          return;
        }
        // The free slots nearest after this instance's own starting point, so that instances that
        // saw the same state take slots from different parts of the window and rarely the same.
        const start = Math.floor(this.home * limit);
        const chosen = free
          .sort((a, b) => ((a - start + limit) % limit) - ((b - start + limit) % limit))
          .slice(0, wants.length);
        const served = wants.slice(0, chosen.length);
        const ends = served.map((want) => now + want.holdMs);
        const names: Record<string, string> = { '#expiresAt': SHARED_TABLE.timeToLiveAttribute };
        const values: Item = {
          ':now': { N: String(now) },
          ':expiresAt': expiresAtOf(Math.max(...ends) + ITEM_LINGER_MS),
        };
        const sets = ['#expiresAt = :expiresAt'];
        const conditions: string[] = [];
        for (const [i, slot] of chosen.entries()) {
          names[`#s${slot}`] = slotName(slot);
          values[`:u${slot}`] = { N: String(ends[i]) };
          sets.push(`#s${slot} = :u${slot}`);
          conditions.push(`(attribute_not_exists(#s${slot}) OR #s${slot} <= :now)`);
        }
        const taking = this.taking.get(key) ?? new Map<number, number>();
        for (const [i, slot] of chosen.entries()) taking.set(slot, ends[i] ?? now);
        this.taking.set(key, taking);
        try {
          const item = await this.options.table.update(key, {
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          });
          this.remember(key, item, limit);
          for (const [i, want] of served.entries())
            want.resolve({ slot: chosen[i] ?? 0, until: ends[i] ?? now + want.holdMs });
          const rest = wants.slice(chosen.length);
          if (rest.length > 0) {
            const freeAt = Math.min(...this.ends(key, limit));
            for (const want of rest) want.resolve({ freeAt });
          }
          return;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          // DynamoDB returns the item with the failure; a store that does not is read once more.
          this.remember(key, error.Item ?? (await this.options.table.get(key)), limit);
          confirmed = true;
        } finally {
          for (const slot of chosen) taking.delete(slot);
          if (taking.size === 0 && this.taking.get(key) === taking) this.taking.delete(key);
        }
      }
      const freeAt = this.clock() + RACE_BACKOFF_MS;
      for (const want of wants) want.resolve({ freeAt });
    } catch (error) {
      for (const want of wants) want.reject(error);
    }
  }

  /** When each slot of window `key` frees, as this instance knows it: what it last saw, and what its own calls are taking. */
  private ends(key: string, limit: number): number[] {
    const slots = this.known.get(key) ?? [];
    const taking = this.taking.get(key);
    return Array.from({ length: limit }, (_, i) => taking?.get(i) ?? slots[i] ?? 0);
  }

  /** The slots of window `key` this instance believes free at `now`, and none of its calls is taking. */
  private freeSlots(key: string, limit: number, now: number): number[] {
    return this.ends(key, limit).flatMap((end, i) => (end <= now ? [i] : []));
  }

  private remember(key: string, item: Item | undefined, limit: number): void {
    this.known.set(
      key,
      Array.from({ length: limit }, (_, i) => numberOf(item, slotName(i)) ?? 0),
    );
  }

  /**
   * While the call is in flight: each channel or account slot, when its end is only the table's
   * timeout away (see {@link LAND_BY_MS}), is extended to one second plus {@link IN_FLIGHT_STEP_MS}
   * ahead, and so on, as the per-instance budget holds a slot for as long as its call is in flight.
   * No other instance can take the slot before its end, so the extension keeps it whenever the call
   * arrives at KVS, as long as it lands by then. A call that answers before then writes no
   * extension: its end moves the slot once, or not at all when it answered within its guard (see
   * {@link settle}). Returns the function that stops it.
   */
  private keepAlive(held: Held[]): () => void {
    let stopped = false;
    const timers = new Set<NodeJS.Timeout>();
    const extendAt = (slot: Held, at: number) => {
      const timer = setTimeout(
        async () => {
          timers.delete(timer);
          if (stopped) return;
          const now = this.clock();
          slot.moving = this.move(slot, now + WINDOW_MS[slot.kind] + IN_FLIGHT_STEP_MS);
          await slot.moving;
          // The next when the new end is near; a second on when the slot could not be moved.
          if (!stopped) extendAt(slot, Math.max(slot.until - this.landMs, now + IN_FLIGHT_STEP_MS));
        },
        Math.max(0, at - this.clock()),
      );
      timer.unref();
      timers.add(timer);
    };
    for (const slot of held) if (slot.kind !== 'caller') extendAt(slot, slot.until - this.landMs);
    return () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
    };
  }

  /**
   * At the end of a call, each channel or account slot frees one second after the answer: once an
   * extension on its way has landed, a write (sent at least the table's timeout before the slot's
   * end, see {@link keepAlive}) when that is later than the slot's end, or when it
   * gives back more than {@link GIVE_BACK_EARLY_MS} of an extension to a window that was full when
   * last seen; none for a call that answered within its guard.
   */
  private async settle(held: Held[]): Promise<void> {
    const answeredAt = this.clock();
    const freeAt = answeredAt + WINDOW_MS.channel;
    await Promise.all(held.map((slot) => slot.moving));
    const now = this.clock();
    const late = (slot: Held) => freeAt > slot.until;
    const wanted = (slot: Held) =>
      slot.until - freeAt > GIVE_BACK_EARLY_MS && this.freeSlots(slot.key, slot.limit, now).length === 0;
    const moved = held.filter((slot) => slot.kind !== 'caller' && (late(slot) || wanted(slot)));
    await Promise.all(moved.map((slot) => this.move(slot, freeAt)));
  }

  /** Frees the slots of a call that did not happen (refused, or aborted while waiting). */
  private giveBack(held: Held[]): Promise<void> {
    const now = this.clock();
    return Promise.all(held.map((slot) => this.move(slot, now))).then(() => undefined);
  }

  /** Moves a held slot's end to `until`, if it is still this call's; never rejects (best effort). */
  private async move(slot: Held, until: number): Promise<void> {
    try {
      await this.options.table.update(slot.key, {
        UpdateExpression: 'SET #slot = :until',
        ConditionExpression: '#slot = :held',
        ExpressionAttributeNames: { '#slot': slotName(slot.slot) },
        ExpressionAttributeValues: { ':until': { N: String(until) }, ':held': { N: String(slot.until) } },
      });
      slot.until = until;
      const known = this.known.get(slot.key);
      if (known !== undefined) known[slot.slot] = until;
    } catch {
      // Another call took the slot after it freed, or DynamoDB failed: either way nothing to undo.
    }
  }
}
