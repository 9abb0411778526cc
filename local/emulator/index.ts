import { createServer } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import { StatsRecorder } from './call-stats';
import { EmulatorClock } from './clock';
import { CredentialStore } from './credentials';
import { FaultRegistry, OPERATION_FAULT_TARGETS, Sleeper } from './faults';
import { AccountIam } from './iam';
import { resolveOptions } from './options';
import { QuotaEnforcer } from './quotas';
import { createRouter } from './router';
import { SignalingService } from './signaling';
import { ParameterStore } from './ssm';
import type { Emulator, EmulatorOptions } from './types';

// The AWS emulator's public module: everything outside `emulator/` (the runner, the API Gateway
// stand-in, tests of the whole emulator, benchmarks) imports from here only.

export { ClockOffsetError } from './clock';
export { FaultValidationError } from './faults';
export { OPERATION_MODELS, OPERATIONS, type Operation, type OperationModel } from './model';
export { LOCAL_BLOCKED_CALLERS_PARAMETER } from './options';
export { AWS_QUOTAS } from './quotas';
export {
  SIGNALING_LIMITS,
  type SignalingControl,
  type SignalingLimits,
  type SignalingStats,
} from './signaling';
export { createSigV4Verifier, type SigV4Refusal, type SigV4Verifier } from './sigv4-verifier';
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
  OperationQuota,
  QuotaSettings,
  TurnSettings,
} from './types';

import { closeServer, listen } from '../http-server';

/** Keep-alive longer than typical SDK agent reuse so idle sockets are not cut mid-request. */
const KEEP_ALIVE_MS = 65_000;

/**
 * Starts the local AWS wire emulator on 127.0.0.1: STS `AssumeRole` and `GetCallerIdentity`
 * (awsQuery), SSM `GetParameter` (awsJson), the KVS control plane (`GetSignalingChannelEndpoint`,
 * `DescribeSignalingChannel`, `ListSignalingChannels`) and KVS signaling `GetIceServerConfig`
 * (REST-JSON), every request SigV4-verified, validated against the AWS models' shapes and authorized by the account's IAM (the roles' policies as the stack
 * writes them, a session's intersected with its session policy), plus the `/_emulator/*` control API.
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
  const faults = new FaultRegistry(OPERATION_FAULT_TARGETS);
  const sleeper = new Sleeper();
  const rateClock = options.rateClock ?? (() => performance.now());
  const quotas = new QuotaEnforcer(options.quotas, rateClock);
  const parameters = new ParameterStore(config.now);
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS });
  server.on('clientError', (_error, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  const port = await listen(server, config.port);
  const url = `http://127.0.0.1:${port}`;
  const iam = new AccountIam(config, [...channelArns.values()]);
  const credentials = new CredentialStore(
    [
      { keyPair: config.executionCredentials, principal: { kind: 'execution' } },
      { keyPair: config.developerCredentials, principal: { kind: 'developer' } },
    ],
    config.now,
  );
  const signaling = new SignalingService({
    ...config,
    credentials,
    iam,
    channelArns,
    sleeper,
    rateClock,
    limits: options.signaling,
  });
  server.on('upgrade', signaling.handleUpgrade);
  const tls = options.signalingTls ? await signalingTlsServer(options.signalingTls, signaling) : undefined;
  const signalingUrl = tls ? `wss://127.0.0.1:${tls.port}` : `ws://127.0.0.1:${port}`;
  server.on(
    'request',
    createRouter(
      { ...config, url, signalingUrl, channelArns, createdAt, credentials, iam },
      {
        stats,
        faults,
        sleeper,
        clock,
        quotas,
        parameters,
        signaling,
      },
    ),
  );

  return {
    url,
    port,
    region: config.region,
    partition: config.partition,
    accountId: config.accountId,
    executionCredentials: { ...config.executionCredentials },
    scopedRoleArn: config.scopedRoleArn,
    developerCredentials: { ...config.developerCredentials },
    developerArn: iam.developerArn,
    channelArns,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    setFault: (operation, fault) => faults.set(operation, fault),
    clearFaults: () => faults.clear(),
    setQuotas: (settings) => quotas.update(settings),
    setClockOffset: (offsetMs) => clock.setOffset(offsetMs),
    setParameter: (name, value) => (value === null ? parameters.delete(name) : parameters.set(name, value)),
    parameterReads: () => parameters.reads(),
    signaling,
    signalingUrl,
    close: async () => {
      sleeper.cancelAll();
      await signaling.close();
      await Promise.all([closeServer(server), ...(tls ? [closeServer(tls.server)] : [])]);
    },
  };
}

/** The signaling service's TLS listener on 127.0.0.1 (a free port): WebSocket upgrades only. */
async function signalingTlsServer(
  tls: { readonly cert: string; readonly key: string },
  signaling: SignalingService,
): Promise<{ server: TlsServer; port: number }> {
  const server = createTlsServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only');
  });
  server.on('upgrade', signaling.handleUpgrade);
  return { server, port: await listen(server, 0) };
}
