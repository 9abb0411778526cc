/** Largest clock offset accepted, either way: skew worth reproducing is minutes, not weeks. */
export const MAX_CLOCK_OFFSET_MS = 7 * 24 * 3600_000;

/** Thrown for an offset that is not a whole number of milliseconds within a week. */
export class ClockOffsetError extends Error {
  override name = 'ClockOffsetError';
}

/**
 * The emulator's clock: the configured clock plus an offset, so tests and people can put the
 * emulated AWS ahead of or behind the caller. Everything the emulator does with time reads
 * `now`: the SigV4 date check, STS expirations, TURN username expiry and the `Date` header.
 */
export class EmulatorClock {
  private offset = 0;

  constructor(private readonly base: () => number) {}

  readonly now = (): number => this.base() + this.offset;

  get offsetMs(): number {
    return this.offset;
  }

  /** Sets the offset in milliseconds (0 resets it); throws {@link ClockOffsetError} if invalid. */
  setOffset(offsetMs: number): void {
    if (!Number.isSafeInteger(offsetMs) || Math.abs(offsetMs) > MAX_CLOCK_OFFSET_MS) {
      throw new ClockOffsetError(
        `offsetMs must be a whole number of milliseconds from -${MAX_CLOCK_OFFSET_MS} to ${MAX_CLOCK_OFFSET_MS}, got ${offsetMs}`,
      );
    }
    this.offset = offsetMs;
  }

  /** What `GET /_emulator/clock` shows. */
  toJSON(): { offsetMs: number; now: string } {
    return { offsetMs: this.offset, now: new Date(this.now()).toISOString() };
  }
}
