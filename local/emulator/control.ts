import { z } from 'zod';
import { type FaultRegistry, FaultValidationError, operationSchema } from './faults';
import type { StatsRecorder } from './stats';

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

function setFaults(faults: FaultRegistry, body: Buffer): ControlResponse {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return badRequest('body must be JSON: {"operation": "...", "fault": {...} | null} or {"clear": true}');
  }
  const parsed = faultRequestSchema.safeParse(json);
  if (!parsed.success) {
    return badRequest(
      `expected {"operation": "...", "fault": {...} | null} or {"clear": true}: ${z.prettifyError(parsed.error)}`,
    );
  }
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

/**
 * The emulator's own API (no SigV4): `GET /_emulator/stats`, `POST /_emulator/stats/reset`,
 * `GET /_emulator/faults`, `POST /_emulator/faults`.
 */
export function handleControl(
  method: string,
  path: string,
  body: Buffer,
  deps: { stats: StatsRecorder; faults: FaultRegistry },
): ControlResponse {
  const routes: Record<string, Record<string, () => ControlResponse>> = {
    '/_emulator/stats': { GET: () => ({ status: 200, body: deps.stats.snapshot() }) },
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
  };
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (!route) return { status: 404, body: { message: `no control route ${path}` } };
  const handler = Object.hasOwn(route, method) ? route[method] : undefined;
  if (!handler) return { status: 405, body: { message: `${method} is not allowed on ${path}` } };
  return handler();
}
