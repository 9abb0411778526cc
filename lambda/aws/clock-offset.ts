/**
 * How far AWS's clock is ahead of this host's (negative: behind), in milliseconds: the one owner
 * of the SigV4 clock offset for every SDK client of the process.
 *
 * The SDK learns the offset into a client's `config.systemClockOffset` (from a skew error and
 * from each response's `Date` header) and signs with it. Left to itself, each client keeps its
 * own: a KVS client made for a new scoped session would start at 0 and fail once more, forever
 * after each session refresh. A bound client reads and writes this object instead, so what the
 * STS client learns, every KVS client signs with, and it outlives the sessions.
 */
export class ClockOffset {
  private ms = 0;

  /** Milliseconds to add to this host's clock to get AWS's. */
  get offsetMs(): number {
    return this.ms;
  }

  /** An AWS time (such as an STS `Expiration`) on this host's clock, epoch ms. */
  toLocal(awsTime: number): number {
    return awsTime - this.ms;
  }

  /** Makes `client` sign with, and learn into, this offset. Returns the client. */
  bind<C extends { config: object }>(client: C): C {
    Object.defineProperty(client.config, 'systemClockOffset', {
      get: () => this.ms,
      set: (ms: unknown) => {
        if (typeof ms === 'number' && Number.isFinite(ms)) this.ms = ms;
      },
      enumerable: true,
      configurable: true,
    });
    return client;
  }
}
