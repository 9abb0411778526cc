import { createServer } from 'node:http';
import { createApp } from './app';
import { EmulatorClock } from './clock';
import { CredentialStore } from './credentials';
import { FaultRegistry } from './faults';
import { resolveOptions } from './options';
import { Sleeper } from './sleeper';
import { StatsRecorder } from './stats';
import type { Emulator, EmulatorOptions } from './types';

export { ClockOffsetError } from './clock';
export { FaultValidationError } from './faults';
export { mintTurnCredentials, type TurnCredentials } from './turn-credentials';
export type {
  ActiveFault,
  CallRecord,
  ChannelStats,
  Emulator,
  EmulatorOptions,
  EmulatorStats,
  FaultKind,
  FaultSpec,
  KeyPair,
  Operation,
  TurnSettings,
} from './types';

import { closeServer, listen } from '../http-server';

/** Keep-alive longer than typical SDK agent reuse so idle sockets are not cut mid-request. */
const KEEP_ALIVE_MS = 65_000;

/**
 * Starts the local AWS wire emulator on 127.0.0.1: STS `AssumeRole` (awsQuery), KVS
 * `GetSignalingChannelEndpoint` and KVS signaling `GetIceServerConfig` (REST-JSON), every
 * request SigV4-verified, plus the `/_emulator/*` control API.
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const resolved = resolveOptions(options);
  const clock = new EmulatorClock(resolved.now);
  const config = { ...resolved, now: clock.now };
  const createdAt = config.now();
  const channelArns = new Map(
    config.channels.map((name) => [
      name,
      `arn:${config.partition}:kinesisvideo:${config.region}:${config.accountId}:channel/${name}/${createdAt}`,
    ]),
  );
  const stats = new StatsRecorder(config.now);
  const faults = new FaultRegistry();
  const sleeper = new Sleeper();
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS });
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const port = await listen(server, config.port);
  const url = `http://127.0.0.1:${port}`;
  const credentials = new CredentialStore(config.executionCredentials, config.now);
  server.on(
    'request',
    createApp({ ...config, url, channelArns, credentials }, { stats, faults, sleeper, clock }),
  );

  return {
    url,
    port,
    region: config.region,
    partition: config.partition,
    executionCredentials: { ...config.executionCredentials },
    scopedRoleArn: config.scopedRoleArn,
    channelArns,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setFault: (operation, fault) => faults.set(operation, fault),
    clearFaults: () => faults.clear(),
    setClockOffset: (offsetMs) => clock.setOffset(offsetMs),
    close: () => {
      sleeper.cancelAll();
      return closeServer(server);
    },
  };
}
