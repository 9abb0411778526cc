import { z } from 'zod';
import { AwsError } from './errors';
import { type ModelledError, OPERATION_MODELS, OPERATIONS, type Operation } from './model';
import { CHANNEL_NAME } from './options';
import type { Protocol, WireResponse } from './protocols';
import { type ActiveFault, FAULT_KINDS, type FaultSpec } from './types';

/** One of {@link OPERATIONS}, as the control API accepts it. */
export const operationSchema = z.enum(OPERATIONS);

const faultSpecSchema = z
  .strictObject({
    kind: z.enum(FAULT_KINDS).optional(),
    code: z.string().optional(),
    status: z.int().min(500).max(599).optional(),
    latencyMs: z.int().min(0).max(120_000).optional(),
    times: z.int().min(1).optional(),
    channel: z.string().regex(CHANNEL_NAME).optional(),
  })
  .refine((f) => f.kind !== undefined || f.latencyMs !== undefined, 'a fault needs a kind or latencyMs')
  .refine(
    (f) => f.status === undefined || f.kind === 'serverError',
    'status applies only to kind serverError',
  )
  .refine(
    (f) => (f.code !== undefined) === (f.kind === 'error'),
    'kind error needs a code, and only it takes one',
  );

/** Thrown for a fault that is invalid or does not fit its operation. */
export class FaultValidationError extends Error {
  override name = 'FaultValidationError';
}

/** What faults may do to one operation: its modelled errors, and whether it is about one channel. */
export interface FaultTarget {
  readonly errors: readonly ModelledError[];
  readonly perChannel: boolean;
}

/** The KVS operations whose calls name one channel (a fault may be limited to it). */
const CHANNEL_OPERATIONS: ReadonlySet<Operation> = new Set([
  'GetSignalingChannelEndpoint',
  'DescribeSignalingChannel',
  'GetIceServerConfig',
  'DescribeMediaStorageConfiguration',
  'JoinStorageSession',
  'JoinStorageSessionAsViewer',
]);

/** The fault targets of the HTTP operations, from the model table. */
export const OPERATION_FAULT_TARGETS: Readonly<Record<Operation, FaultTarget>> = Object.fromEntries(
  OPERATIONS.map((op) => [
    op,
    { errors: OPERATION_MODELS[op].errors, perChannel: CHANNEL_OPERATIONS.has(op) },
  ]),
) as Record<Operation, FaultTarget>;

const NOT_FOUND = 'ResourceNotFoundException';

/** Validates a fault for an operation; throws {@link FaultValidationError} with a readable message. */
function validateFault(operation: string, target: FaultTarget, fault: unknown): FaultSpec {
  const parsed = faultSpecSchema.safeParse(fault);
  if (!parsed.success) throw new FaultValidationError(z.prettifyError(parsed.error));
  const spec = parsed.data;
  const codes = target.errors.map((error) => error.code);
  if (spec.kind === 'notFound' && !codes.includes(NOT_FOUND))
    throw new FaultValidationError(
      `${operation} has no ${NOT_FOUND} in its model: kind notFound does not apply`,
    );
  if (spec.code !== undefined && !codes.includes(spec.code)) {
    const modelled = codes.length > 0 ? codes.join(', ') : 'none';
    throw new FaultValidationError(
      `${spec.code} is not a modelled error of ${operation} (its modelled errors: ${modelled})`,
    );
  }
  if (spec.channel !== undefined && !target.perChannel)
    throw new FaultValidationError(`${operation} calls name no channel: a fault of it takes no channel`);
  return spec;
}

/** The active fault of each operation (the HTTP operations by default; the signaling service has its own). */
export class FaultRegistry<Op extends string = Operation> {
  private readonly faults = new Map<Op, ActiveFault>();

  constructor(private readonly targets: Readonly<Record<Op, FaultTarget>>) {}

  /** Sets (or with `null` clears) the fault of an operation; validates `fault`, throws if invalid. */
  set(operation: Op, fault: unknown): void {
    if (fault === null) {
      this.faults.delete(operation);
      return;
    }
    const spec = validateFault(operation, this.targets[operation], fault);
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

/** What an injected modelled error says: the gist of the model's documentation of it. */
const MODELLED_MESSAGES: Readonly<Record<string, string>> = {
  MalformedPolicyDocument: 'The request was rejected because the policy document was malformed.',
  PackedPolicyTooLarge: 'Packed policy consumes more than 100% of allotted space.',
  RegionDisabledException:
    'STS is not activated in the requested Region for the account that is being asked to generate credentials.',
  ExpiredTokenException: 'The web identity token that was passed is expired or is not valid.',
  InvalidArgumentException: 'The value for this input parameter is invalid.',
  ClientLimitExceededException: 'The request was throttled.',
  ResourceNotFoundException: 'The requested channel is not found or not active.',
  ResourceInUseException: 'The resource is currently not available for this operation.',
  AccessDeniedException: 'You do not have required permissions to perform this operation.',
  InvalidClientException: 'The specified client is invalid.',
  SessionExpiredException: 'The client session has expired.',
  NotAuthorizedException: 'The caller is not authorized to perform this operation.',
  InternalServerError: 'An error occurred on the server side.',
  InvalidKeyId: 'The query key ID is not valid.',
  ParameterNotFound: '',
  ParameterVersionNotFound: 'The specified parameter version was not found.',
};

/** A modelled error of an operation as an AwsError, with the model's status. */
export function modelledFault(errors: readonly ModelledError[], code: string): AwsError {
  const status = errors.find((error) => error.code === code)?.status ?? 400;
  return new AwsError(code, status, MODELLED_MESSAGES[code] ?? code);
}

/**
 * The error an injected fault stands for (undefined for `malformed`, `drop` and latency only):
 * `throttle` the protocol's throttling error, `serverError` its 5xx, `notFound` and `error` the
 * operation's modelled error.
 */
export function faultError(
  fault: FaultSpec,
  errors: readonly ModelledError[],
  protocol: Protocol,
): AwsError | undefined {
  switch (fault.kind) {
    case 'throttle':
      return protocol.throttle();
    case 'serverError':
      return protocol.serverError(fault.status ?? 500);
    case 'notFound':
      return modelledFault(errors, NOT_FOUND);
    case 'error':
      return fault.code === undefined ? undefined : modelledFault(errors, fault.code);
    default:
      return undefined;
  }
}

/** The response an injected fault replaces the real answer with; `null` for none (latency only). */
export function faultResponse(
  fault: FaultSpec,
  handler: {
    readonly operation: string;
    readonly protocol: Protocol;
    readonly model: { errors: readonly ModelledError[] };
  },
  requestId: string,
): WireResponse | null {
  if (fault.kind === 'malformed') return handler.protocol.malformed(handler.operation, requestId);
  const error = faultError(fault, handler.model.errors, handler.protocol);
  return error ? handler.protocol.error(error, requestId) : null;
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
