import { z } from 'zod';
import { CONNECT_ACTIONS } from '../../lambda/contract';
import type { StatsRecorder } from './call-stats';
import { ClockOffsetError, type EmulatorClock } from './clock';
import { type FaultRegistry, FaultValidationError, operationSchema } from './faults';
import { OPERATIONS } from './model';
import { type QuotaEnforcer, quotaSettingsSchema } from './quotas';
import type { SignalingService } from './signaling';
import type { StorageChannelStats } from './storage-agent';

/** A control API answer: JSON body, or none for 204. */
export interface ControlResponse {
  status: number;
  body?: unknown;
}

const faultRequestSchema = z.union([
  z.strictObject({ clear: z.literal(true) }),
  z.strictObject({ operation: operationSchema, fault: z.unknown() }),
]);

const badRequest = (message: string): ControlResponse => ({ status: 400, body: { message } });

const FAULTS_SHAPE = `{"operation": "${OPERATIONS.join('" | "')}", "fault": {...} | null} or {"clear": true}`;

/** The body as JSON, or undefined when it is not JSON. */
function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function setFaults(faults: FaultRegistry, body: Buffer): ControlResponse {
  const json = parseJson(body);
  if (json === undefined) return badRequest(`body must be JSON: ${FAULTS_SHAPE}`);
  const operation = (json as { operation?: unknown } | null)?.operation;
  if (operation !== undefined && !operationSchema.safeParse(operation).success) {
    return badRequest(
      `unknown operation ${JSON.stringify(operation)}: valid operations are ${OPERATIONS.join(', ')}`,
    );
  }
  const parsed = faultRequestSchema.safeParse(json);
  if (!parsed.success) return badRequest(`expected ${FAULTS_SHAPE}: ${z.prettifyError(parsed.error)}`);
  const request = parsed.data;
  if ('clear' in request) {
    faults.clear();
  } else {
    if (request.fault === undefined) return badRequest('fault is required (an object, or null to clear)');
    try {
      faults.set(request.operation, request.fault);
    } catch (error) {
      if (error instanceof FaultValidationError) return badRequest(`invalid fault: ${error.message}`);
      throw error;
    }
  }
  return { status: 200, body: { faults: faults.list() } };
}

const clockRequestSchema = z.strictObject({ offsetMs: z.number() });

function setClock(clock: EmulatorClock, body: Buffer): ControlResponse {
  const parsed = clockRequestSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return badRequest(
      'body must be JSON {"offsetMs": N}: milliseconds the emulator clock is ahead (0 resets)',
    );
  }
  try {
    clock.setOffset(parsed.data.offsetMs);
  } catch (error) {
    if (error instanceof ClockOffsetError) return badRequest(error.message);
    throw error;
  }
  return { status: 200, body: clock.toJSON() };
}

const QUOTAS_SHAPE =
  '{"enabled": true | false, "limits": {"GetIceServerConfig": {"perChannel": N, "perAccount": N}, ...}}';

function setQuotas(quotas: QuotaEnforcer, body: Buffer): ControlResponse {
  const parsed = quotaSettingsSchema.safeParse(parseJson(body));
  if (!parsed.success) return badRequest(`expected ${QUOTAS_SHAPE}: ${z.prettifyError(parsed.error)}`);
  quotas.update(parsed.data);
  return { status: 200, body: quotas.toJSON() };
}

const signalingFaultSchema = z.union([
  z.strictObject({ clear: z.literal(true) }),
  z.strictObject({ operation: z.enum(Object.values(CONNECT_ACTIONS)), fault: z.unknown() }),
]);

/** `POST /_emulator/signaling/faults`: a fault of one Connect action (as `/_emulator/faults` takes them), or clear all. */
function setSignalingFaults(signaling: SignalingService, body: Buffer): ControlResponse {
  const parsed = signalingFaultSchema.safeParse(parseJson(body));
  if (!parsed.success) {
    return badRequest(
      `{"operation": ${Object.values(CONNECT_ACTIONS)
        .map((action) => `"${action}"`)
        .join(' | ')}, "fault": {...} | null} or {"clear": true} expected`,
    );
  }
  const request = parsed.data;
  try {
    if ('clear' in request) signaling.clearFaults();
    else signaling.setFault(request.operation, request.fault ?? null);
  } catch (error) {
    if (error instanceof FaultValidationError) return badRequest(`invalid fault: ${error.message}`);
    throw error;
  }
  return { status: 200, body: { faults: signaling.faults() } };
}

/**
 * The emulator's own API (no SigV4): `GET /_emulator/stats`, `POST /_emulator/stats/reset`,
 * `GET /_emulator/faults`, `POST /_emulator/faults`, `GET /_emulator/clock`, `POST /_emulator/clock`,
 * `GET /_emulator/quotas`, `POST /_emulator/quotas`, `GET /_emulator/signaling` (the signaling
 * WebSocket service's counters), `GET` and `POST /_emulator/signaling/faults`.
 */
export function handleControl(
  method: string,
  path: string,
  body: Buffer,
  deps: {
    stats: StatsRecorder;
    faults: FaultRegistry;
    clock: EmulatorClock;
    quotas: QuotaEnforcer;
    signaling: SignalingService;
    storageStats?: () => Record<string, StorageChannelStats>;
  },
): ControlResponse {
  const routes: Record<string, Record<string, () => ControlResponse>> = {
    '/_emulator/stats': {
      GET: () => ({
        status: 200,
        body: { ...deps.stats.snapshot(), ...(deps.storageStats ? { storage: deps.storageStats() } : {}) },
      }),
    },
    '/_emulator/stats/reset': {
      POST: () => {
        deps.stats.reset();
        return { status: 204 };
      },
    },
    '/_emulator/faults': {
      GET: () => ({ status: 200, body: { faults: deps.faults.list() } }),
      POST: () => setFaults(deps.faults, body),
    },
    '/_emulator/clock': {
      GET: () => ({ status: 200, body: deps.clock.toJSON() }),
      POST: () => setClock(deps.clock, body),
    },
    '/_emulator/quotas': {
      GET: () => ({ status: 200, body: deps.quotas.toJSON() }),
      POST: () => setQuotas(deps.quotas, body),
    },
    '/_emulator/signaling': { GET: () => ({ status: 200, body: deps.signaling.stats() }) },
    '/_emulator/signaling/faults': {
      GET: () => ({ status: 200, body: { faults: deps.signaling.faults() } }),
      POST: () => setSignalingFaults(deps.signaling, body),
    },
  };
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!route) return { status: 404, body: { message: `no control route ${path}` } };
  const handler = Object.hasOwn(route, method) ? route[method] : undefined;
  if (!handler) return { status: 405, body: { message: `${method} is not allowed on ${path}` } };
  return handler();
}
