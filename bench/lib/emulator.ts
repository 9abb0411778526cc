import type { EmulatorStats, FaultSpec, Operation } from '../../local/emulator';
import { send } from './http';

/** A JSON answer of the emulator's control API; throws on anything but 2xx. */
async function control<T>(emulatorUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const answer = await send(method, `${emulatorUrl}/_emulator/${path}`, {
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = answer.body.toString('utf8');
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`emulator ${method} /_emulator/${path}: HTTP ${answer.status} ${text.slice(0, 300)}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `GET /_emulator/stats` of the emulator in a broker child. */
export const emulatorStats = (emulatorUrl: string) => control<EmulatorStats>(emulatorUrl, 'GET', 'stats');

/** `POST /_emulator/faults` for one operation. */
export const setFault = (emulatorUrl: string, operation: Operation, fault: FaultSpec) =>
  control<unknown>(emulatorUrl, 'POST', 'faults', { operation, fault });

/** Upstream calls the emulator has seen, all operations together. */
export const totalCalls = (stats: EmulatorStats) =>
  Object.values(stats.operations).reduce((sum, calls) => sum + calls, 0);

/** `POST /_emulator/stats/reset`: counters and the recent-calls ring start again from zero. */
export const resetStats = (emulatorUrl: string) => control<undefined>(emulatorUrl, 'POST', 'stats/reset');
