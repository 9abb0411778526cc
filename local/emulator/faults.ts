import { z } from 'zod';
import { CHANNEL_NAME } from './options';
import type { Protocol, WireResponse } from './protocols';
import { type ActiveFault, FAULT_KINDS, type FaultSpec, OPERATIONS, type Operation } from './types';

/** One of {@link OPERATIONS}, as the control API accepts it. */
export const operationSchema = z.enum(OPERATIONS);

const faultSpecSchema = z
  .strictObject({
    kind: z.enum(FAULT_KINDS).optional(),
    status: z.int().min(500).max(599).optional(),
    latencyMs: z.int().min(0).max(120_000).optional(),
    times: z.int().min(1).optional(),
    channel: z.string().regex(CHANNEL_NAME).optional(),
  })
  .refine((f) => f.kind !== undefined || f.latencyMs !== undefined, 'a fault needs a kind or latencyMs')
  .refine(
    (f) => f.status === undefined || f.kind === 'serverError',
    'status applies only to kind serverError',
  );

/** Thrown for a fault that is invalid or does not fit its operation. */
export class FaultValidationError extends Error {
  override name = 'FaultValidationError';
}

/** Validates a fault for an operation; throws {@link FaultValidationError} with a readable message. */
function validateFault(operation: string, fault: unknown): FaultSpec {
  const parsed = faultSpecSchema.safeParse(fault);
  if (!parsed.success) throw new FaultValidationError(z.prettifyError(parsed.error));
  const spec = parsed.data;
  if (operation === 'AssumeRole' && (spec.kind === 'notFound' || spec.channel !== undefined)) {
    throw new FaultValidationError('AssumeRole faults support neither kind notFound nor channel');
  }
  return spec;
}

/** The active fault of each operation (the HTTP operations by default; the signaling service has its own). */
export class FaultRegistry<Op extends string = Operation> {
  private readonly faults = new Map<Op, ActiveFault>();

  /** Sets (or with `null` clears) the fault of an operation; validates `fault`, throws if invalid. */
  set(operation: Op, fault: unknown): void {
    if (fault === null) {
      this.faults.delete(operation);
      return;
    }
    const spec = validateFault(operation, fault);
    this.faults.set(operation, spec.times === undefined ? spec : { ...spec, remaining: spec.times });
  }

  /** Clears the faults of every operation. */
  clear(): void {
    this.faults.clear();
  }

  /** Returns the fault for this call, if any, counting it against `times`. */
  take(operation: Op, channel: string | undefined): FaultSpec | null {
    const fault = this.faults.get(operation);
    if (!fault || (fault.channel !== undefined && fault.channel !== channel)) return null;
    if (fault.remaining !== undefined) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults.delete(operation);
    }
    const { remaining: _remaining, ...spec } = fault;
    return spec;
  }

  /** The active faults by operation, copied, as `GET /_emulator/faults` shows them. */
  list(): Partial<Record<Op, ActiveFault>> {
    return Object.fromEntries([...this.faults].map(([op, fault]) => [op, { ...fault }])) as Partial<
      Record<Op, ActiveFault>
    >;
  }
}

/** The response an injected fault replaces the real answer with; `null` for none (latency only). */
export function faultResponse(fault: FaultSpec, protocol: Protocol, requestId: string): WireResponse | null {
  switch (fault.kind) {
    case 'throttle':
      return protocol.error(protocol.throttle(), requestId);
    case 'serverError':
      return protocol.error(protocol.serverError(fault.status ?? 500), requestId);
    case 'notFound': {
      const notFound = protocol.notFound();
      return notFound ? protocol.error(notFound, requestId) : null;
    }
    case 'malformed':
      return protocol.malformed(requestId);
    default:
      return null;
  }
}

/** The real-time delays of injected fault latency (`latencyMs`), that `close()` can cancel so no timer outlives the server. */
export class Sleeper {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Resolves after `ms` milliseconds of real time, unless {@link cancelAll} comes first (then never). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  /** Cancels every pending delay; the waiting requests are abandoned with their sockets. */
  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
