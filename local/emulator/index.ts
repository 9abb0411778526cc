import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONNECT_ACTIONS } from '../../lambda/contract';
import { NO_INGESTION_PARTITIONS } from '../../lib/regions';
import { StatsRecorder } from './call-stats';
import { EmulatorClock } from './clock';
import { CredentialStore } from './credentials';
import { type EndpointServer, startEndpoint } from './endpoint-server';
import { AwsError } from './errors';
import { FaultRegistry, OPERATION_FAULT_TARGETS, Sleeper } from './faults';
import { AccountIam } from './iam';
import type { EmulatedStorage } from './operation';
import { resolveOptions } from './options';
import { QuotaEnforcer } from './quotas';
import { createRouter, refuseUpgrade } from './router';
import { SignalingService } from './signaling';
import { ParameterStore } from './ssm';
import type { Emulator, EmulatorOptions, SignalingEndpoints } from './types';

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
  SignalingEndpoints,
  ToolEnvironment,
  TurnSettings,
} from './types';

/**
 * Starts the local AWS wire emulator on 127.0.0.1 (and `[::1]` in dual-stack mode), its endpoints
 * apart as AWS's are:
 *
 * - the control endpoint (the `port` option): STS `AssumeRole` and `GetCallerIdentity`
 *   (awsQuery), SSM `GetParameter` (awsJson), the KVS control plane (`GetSignalingChannelEndpoint`,
 *   `DescribeSignalingChannel`, `ListSignalingChannels`; REST-JSON), and the `/_emulator/*`
 *   control API;
 * - the signaling API (`GetIceServerConfig`), the master's and the viewers' signaling WebSockets:
 *   a port each, the endpoints `GetSignalingChannelEndpoint` hands out.
 *
 * Every call is SigV4-verified, validated against the AWS models' shapes and authorized by the
 * account's IAM (the roles' policies as the stack writes them, intersected with session policies).
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
  const iam = new AccountIam(config, [...channelArns.values()]);
  const credentials = new CredentialStore(
    [
      { keyPair: config.executionCredentials, principal: { kind: 'execution' } },
      { keyPair: config.developerCredentials, principal: { kind: 'developer' } },
      ...(config.sampleViewerCredentials
        ? [{ keyPair: config.sampleViewerCredentials, principal: { kind: 'sampleViewer' } } as const]
        : []),
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
  const tls = options.signalingTls;
  // Dual-stack mode: every endpoint on [::1] too, and the signaling endpoints handed out there.
  const listening = { ipv6: options.dualStack === true };
  const host = listening.ipv6 ? '[::1]' : '127.0.0.1';
  const started: EndpointServer[] = [];
  const closeAll = () => Promise.all(started.map((server) => server.close())).then(() => undefined);
  try {
    // The WebSocket endpoints first: GetSignalingChannelEndpoint names them.
    const wss = tls ? 'wss' : 'ws';
    const noRequests = { request: refuseRequest };
    const master = await startEndpoint(
      { ...noRequests, upgrade: signaling.upgradeListener(CONNECT_ACTIONS.MASTER) },
      0,
      tls,
      listening,
    );
    started.push(master);
    const viewer = await startEndpoint(
      { ...noRequests, upgrade: signaling.upgradeListener(CONNECT_ACTIONS.VIEWER) },
      0,
      tls,
      listening,
    );
    started.push(viewer);
    // The signaling API: plain HTTP, as the function's SDK client trusts no local CA (with a
    // certificate, the port answers HTTPS too).
    let routeSignaling: ReturnType<typeof createRouter> = () => undefined;
    const https = await startEndpoint(
      { request: (req, res) => routeSignaling(req, res), upgrade: refuseUpgrade },
      0,
      tls,
      listening,
    );
    started.push(https);
    // The storage API (WebRTC ingestion): the WEBRTC endpoint GetSignalingChannelEndpoint names.
    let routeStorage: ReturnType<typeof createRouter> = () => undefined;
    const storageServer = await startEndpoint(
      { request: (req, res) => routeStorage(req, res), upgrade: refuseUpgrade },
      0,
      undefined,
      listening,
    );
    started.push(storageServer);
    const storageChannels = new Set(options.storageChannels ?? []);
    for (const name of storageChannels)
      if (!channelArns.has(name))
        throw new TypeError(`startEmulator: storage channel "${name}" is not among channels`);
    // Not more permissive than AWS: no channel records media where KVS offers no ingestion (lib/regions.ts).
    if (storageChannels.size > 0 && NO_INGESTION_PARTITIONS.includes(config.partition))
      throw new TypeError(
        `startEmulator: storageChannels in ${config.partition}: KVS offers no WebRTC ingestion in the China Regions`,
      );
    // The recording peer (werift) is loaded only where a channel records media.
    const agent =
      storageChannels.size > 0
        ? new (await import('./storage-agent')).StorageAgent(signaling, storageChannels)
        : undefined;
    if (agent) signaling.attachStorage(agent);
    const storage: EmulatedStorage = {
      channels: storageChannels,
      // Handed out on [::1] in dual-stack mode, as the signaling endpoints are.
      endpoint: `http://${host}:${storageServer.port}`,
      streamArn: (name) =>
        `arn:${config.partition}:kinesisvideo:${config.region}:${config.accountId}:stream/${name}-storage/${createdAt}`,
      join: (name, clientId) => {
        if (!agent || !storageChannels.has(name))
          throw new AwsError(
            'InvalidArgumentException',
            400,
            `The channel ${name} is not configured for media storage.`,
          );
        if (clientId === undefined) agent.joinAsMaster(name);
        else agent.joinAsViewer(name, clientId);
      },
    };
    let routeControl: ReturnType<typeof createRouter> = () => undefined;
    const control = await startEndpoint(
      { request: (req, res) => routeControl(req, res), upgrade: refuseUpgrade },
      config.port,
      undefined,
      listening,
    );
    started.push(control);

    const url = `http://127.0.0.1:${control.port}`;
    const signalingEndpoints: SignalingEndpoints = {
      https: `http://${host}:${https.port}`,
      master: `${wss}://${host}:${master.port}`,
      viewer: `${wss}://${host}:${viewer.port}`,
    };
    const ctx = { ...config, url, signalingEndpoints, channelArns, createdAt, credentials, iam, storage };
    const deps = {
      stats,
      faults,
      sleeper,
      clock,
      quotas,
      parameters,
      signaling,
      // The stats JSON has `storage` only where a channel records media.
      ...(agent ? { storageStats: () => agent.stats() } : {}),
    };
    routeControl = createRouter(ctx, deps, 'control');
    routeSignaling = createRouter(ctx, deps, 'signaling');
    routeStorage = createRouter(ctx, deps, 'storage');

    return {
      url,
      ...(listening.ipv6 ? { ipv6Url: `http://[::1]:${control.port}` } : {}),
      port: control.port,
      region: config.region,
      partition: config.partition,
      accountId: config.accountId,
      executionCredentials: { ...config.executionCredentials },
      scopedRoleArn: config.scopedRoleArn,
      developerCredentials: { ...config.developerCredentials },
      developerArn: iam.developerArn,
      ...(config.sampleViewerCredentials
        ? { sampleViewerCredentials: { ...config.sampleViewerCredentials } }
        : {}),
      toolEnvironment: () => ({
        AWS_ACCESS_KEY_ID: config.developerCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.developerCredentials.secretAccessKey,
        AWS_ENDPOINT_URL: url,
        AWS_REGION: config.region,
        AWS_DEFAULT_REGION: config.region,
      }),
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
      signalingEndpoints,
      storageEndpoint: storage.endpoint,
      storageStats: () => agent?.stats() ?? {},
      close: async () => {
        sleeper.cancelAll();
        await agent?.close();
        await signaling.close();
        await closeAll();
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** A WebSocket endpoint's answer to a plain request: 426, it speaks WebSocket only. */
function refuseRequest(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' }).end('WebSocket only');
}
