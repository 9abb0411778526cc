import { STSClient } from '@aws-sdk/client-sts';
import { clientDefaults } from '../../../../lambda/aws/clients';
import { AwsSessionProvider } from '../../../../lambda/aws/sessions';
import { DEFAULT_TUNING, vendorTuning } from '../../../../lambda/config';
import { parseChannelArn } from '../../../../lambda/contract';
import { ChannelAccess } from '../../../../lambda/core/channel-access';
import { ChannelDirectory } from '../../../../lambda/core/channels';
import { IPV4_ENDPOINTS } from '../../../../lambda/core/ice-servers';
import type { MetricName, Metrics } from '../../../../lambda/core/metrics';
import type { VendRequest } from '../../../../lambda/core/model';
import type { SharedIceCache } from '../../../../lambda/core/ports';
import { IceVendor, type VendorPolicy } from '../../../../lambda/core/vendor';
import { type Emulator, type EmulatorOptions, type KeyPair, startEmulator } from '../../../../local/emulator';
import type { FakeClock } from '../../../local/emulator/support/emulator';

export { FakeClock } from '../../../local/emulator/support/emulator';

export interface VendorUnderTest {
  readonly vendor: IceVendor;
  /** The vendor's sessions and endpoints, for a signaling vendor to share. */
  readonly access: ChannelAccess;
  readonly emulator: Emulator;
  iceCalls(): number;
  endpointCalls(): number;
  assumeRoleCalls(): number;
  /** How many times the vendor recorded the metric. */
  metricCount(name: MetricName): number;
  /**
   * Resolves once every GetIceServerConfig call the vendor has started, in the foreground or in
   * a background refresh, has had its answer: then the emulator has counted each of them.
   */
  upstreamSettled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real vending core and AWS adapter, with unmodified SDK clients talking to the wire
 * emulator (SigV4, scoped sessions, fault injection): everything but the HTTP handler.
 */
export async function startVendor(
  options: {
    policy?: Partial<VendorPolicy>;
    clock?: FakeClock;
    requestTimeoutMs?: number;
    /** The function's own credentials; default the emulator's execution key pair. */
    executionCredentials?: KeyPair;
    /** ICE answers shared with other vendors (another function instance). */
    sharedCache?: SharedIceCache;
    /** Another vendor's emulator, to be two instances of one deployment; closed by its owner. */
    emulator?: Emulator;
    /** Options of the emulator this vendor starts (e.g. the scoped role's policy). */
    emulatorOptions?: Partial<EmulatorOptions>;
  } = {},
): Promise<VendorUnderTest> {
  const now = options.clock?.now;
  const emulator =
    options.emulator ??
    (await startEmulator({
      channels: ['demo', 'lobby'],
      turn: { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'test-secret' },
      now,
      ...options.emulatorOptions,
    }));
  const defaults = clientDefaults({
    connectionTimeoutMs: 1000,
    requestTimeoutMs: options.requestTimeoutMs ?? 5000,
    maxAttempts: 1,
  });
  const sts = new STSClient({
    ...defaults,
    region: emulator.region,
    endpoint: emulator.url,
    credentials: options.executionCredentials ?? emulator.executionCredentials,
  });
  const channels = [...emulator.channelArns.values()]
    .map((arn) => parseChannelArn(arn))
    .filter((c) => c !== undefined);
  const counts = new Map<MetricName, number>();
  const count = (name: MetricName) => counts.get(name) ?? 0;
  const metrics: Metrics = { add: (name) => counts.set(name, count(name) + 1) };
  const policy = {
    ...vendorTuning(DEFAULT_TUNING, IPV4_ENDPOINTS),
    retry: { attempts: 3, baseMs: 10, capMs: 50 },
    ...options.policy,
  };
  const access = new ChannelAccess({
    sessions: new AwsSessionProvider({
      sts,
      scopedRoleArn: emulator.scopedRoleArn,
      clientDefaults: defaults,
      // The KVS clients the session provider creates find the emulator as the local runner's do.
      kinesisVideoEndpoint: emulator.url,
      clock: now,
    }),
    policy: { deadlineMs: policy.deadlineMs, retry: policy.retry },
    clock: now,
    metrics,
  });
  const vendor = new IceVendor({
    channels: new ChannelDirectory(channels),
    access,
    policy,
    clock: now,
    metrics,
    sharedCache: options.sharedCache,
  });
  const ops = () => emulator.stats().operations;
  return {
    vendor,
    access,
    emulator,
    iceCalls: () => ops().GetIceServerConfig,
    endpointCalls: () => ops().GetSignalingChannelEndpoint,
    assumeRoleCalls: () => ops().AssumeRole,
    metricCount: count,
    upstreamSettled: async () => {
      // A refresh reaches its call within the microtasks of the request that started it.
      await new Promise((resolve) => setImmediate(resolve));
      // IceConfigLatency is recorded when a call has its answer (or error).
      await eventually(() => count('IceConfigCalls') === count('IceConfigLatency'));
    },
    close: async () => {
      if (!options.emulator) await emulator.close();
    },
  };
}

export const request = (overrides: Partial<VendRequest> = {}): VendRequest => ({
  channel: 'demo',
  role: 'VIEWER',
  grantedChannels: 'all',
  ...overrides,
});

export { rejectionOf } from '../../support/rejection';

/**
 * Polls until `check` holds (background refreshes finish on their own schedule). The limit only
 * stops a test that would never pass; a busy machine stays well inside it.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
