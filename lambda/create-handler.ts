import { Logger } from '@aws-lambda-powertools/logger';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { blockedCallersParameter } from './aws/blocked-callers-parameter';
import { type AwsClientOptions, clientDefaults, clientLocation } from './aws/clients';
import { emfMetrics } from './aws/emf-metrics';
import { AwsSessionProvider } from './aws/sessions';
import { sharedState } from './aws/shared-table';
import { budgetLimits, type FunctionConfig, upstreamTuning, vendorTuning } from './config';
import { METRICS } from './contract';
import { BlockedCallersCheck } from './core/blocked-callers';
import { InstanceCallBudget } from './core/budget';
import { ChannelAccess } from './core/channel-access';
import { ChannelDirectory } from './core/channels';
import { VendingError } from './core/errors';
import type { Clock } from './core/ports';
import { SignalingVendor } from './core/signaling';
import { StorageSessions } from './core/storage';
import { IceVendor } from './core/vendor';
import { InstanceViewerSlots } from './core/viewer-slots';
import { type ApiHandler, createApiHandler, failureDetails } from './http/adapter';

/** What {@link createHandler} takes besides the configuration; the deployed function gives none. */
export interface HandlerOptions {
  /**
   * Where the SDK clients reach AWS, and as whom (the local runner's emulator).
   * @default - the SDK's own resolution: in Lambda, the runtime's Region and execution role
   */
  readonly aws?: AwsClientOptions;
  /** @default Date.now */
  readonly clock?: Clock;
  /**
   * Start the cold-start work at once: the first channel's scoped sessions and endpoint, the
   * shared table's client, the blocked-callers list. Tests that count upstream calls turn it off.
   * @default true
   */
  readonly prewarm?: boolean;
  /**
   * The blocked-callers list's raw value (`BLOCKED_CALLERS_FORMAT` of lambda/contract.ts).
   * @default - the SSM parameter `BLOCKED_CALLERS_PARAMETER` names, reused for `BLOCKED_CALLERS_MAX_AGE_SECONDS`
   */
  readonly blockedCallers?: () => Promise<string>;
}

/**
 * The function's composition root: the logger, the metrics, the SDK clients, the channels'
 * sessions and endpoints (one {@link ChannelAccess}, which both use cases share), the ICE vendor,
 * the signaling vendor, the blocked-callers check and the shared table, built once from a parsed
 * configuration (`loadConfig`, lambda/config.ts), and the handler that adapts API Gateway events to
 * them. lambda/handler.ts calls it at cold start with the function's environment; the local
 * runner and the tests call it with theirs. Its cold-start work (see {@link HandlerOptions.prewarm})
 * runs in the background: a failure only logs, and the first request tries again.
 */
export function createHandler(config: FunctionConfig, options: HandlerOptions = {}): ApiHandler {
  const { clock = Date.now, prewarm = true } = options;
  // The endpoints the settings choose (dualStack, fips) for every client not given an endpoint URL.
  const mode = { dualStack: config.dualStack, fips: config.fips };
  const aws: AwsClientOptions = { ...options.aws, mode };
  // The namespace and service are fixed (lambda/contract.ts METRICS): the stack's alarms and dashboard
  // read exactly these, so an override by environment variable would leave them watching nothing.
  const logger = new Logger({ serviceName: METRICS.service, logLevel: config.logLevel });
  /** The AWS SDK's own warnings (its HTTP handler would write plain-text lines): the log is JSON only. */
  const sdkWarning = (message: string) => logger.warn('AWS SDK warning', { sdkMessage: message });
  /** Cold-start work that failed: logged by its error's name (and its cause's, as a request's failure is), and tried again by the first request. */
  const warmingFailed = (what: string) => (error: unknown) =>
    logger.warn(`${what} failed`, {
      errorName: (error as Error | undefined)?.name,
      ...(error instanceof VendingError ? failureDetails(error) : {}),
    });
  const metrics = {
    ...emfMetrics(METRICS.namespace, METRICS.service, config.metricsDisabled),
    // What the core asks an operator to look into (such as clock skew), as JSON log lines.
    warn: (message: string, fields: Record<string, unknown>) => logger.warn(message, fields),
  };
  const defaults = clientDefaults({
    connectionTimeoutMs: config.connectTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    // The vendor retries throttles, outages and timeouts itself, within the request deadline and the upstream budget.
    maxAttempts: 1,
    warn: sdkWarning,
  });

  const channels = new ChannelDirectory(config.channels);
  // With the stack's shared table (SHARED_TABLE): the call budget every instance shares, and with
  // sharedCache the shared ICE answers; without it (a local single instance), the instance's own budget.
  const shared = sharedState(config, { metrics, warn: sdkWarning, aws, clock });
  // The call budget of every KVS call with a quota to keep: each call names its action's quota
  // (GetIceServerConfig's are the budget's own limits), so one budget keeps every action apart.
  const budget = shared?.budget ?? new InstanceCallBudget(budgetLimits(config), clock);
  // The viewer route's count of each caller's viewer ClientIds, which the storage viewer joins check.
  const viewerSlots = shared?.viewerSlots ?? new InstanceViewerSlots();
  // The channels' scoped sessions and signaling endpoints, which both use cases reach KVS with.
  const access = new ChannelAccess({
    sessions: new AwsSessionProvider({
      sts: new STSClient({ ...defaults, ...clientLocation(aws, 'sts') }),
      scopedRoleArn: config.scopedRoleArn,
      clientDefaults: defaults,
      ...(aws.endpoints?.kinesisVideo !== undefined
        ? { kinesisVideoEndpoint: aws.endpoints.kinesisVideo }
        : {}),
      mode,
      clock,
      metrics,
    }),
    policy: upstreamTuning(config),
    clock,
    metrics,
  });
  const vendor = new IceVendor({
    channels,
    access,
    policy: vendorTuning(config, mode),
    clock,
    metrics,
    budget,
    sharedCache: shared?.sharedCache,
  });
  // WebRTC ingestion, with STORAGE_SESSIONS (and a served role).
  const storage =
    config.storageSessions && config.signalingRoles.length > 0
      ? new StorageSessions({
          channels,
          access,
          roles: config.signalingRoles,
          policy: upstreamTuning(config),
          viewerSlotsPerCaller: config.viewerSlotsPerCaller,
          viewerSlots,
          budget,
          clock,
          metrics,
        })
      : undefined;
  // The presigned signaling routes, when the deployment serves any role (SIGNALING_ROLES).
  const signaling =
    config.signalingRoles.length > 0
      ? new SignalingVendor({
          channels,
          ice: vendor,
          access,
          roles: config.signalingRoles,
          deadlineMs: config.deadlineMs,
          viewerSlotsPerCaller: config.viewerSlotsPerCaller,
          viewerSlots,
          storage,
          clock,
        })
      : undefined;
  // The operator's blocked callers (the SSM parameter, cached BLOCKED_CALLERS_MAX_AGE_SECONDS).
  const blockedCallers = new BlockedCallersCheck({
    source:
      options.blockedCallers ??
      blockedCallersParameter({
        name: config.blockedCallersParameter,
        client: new SSMClient({ ...defaults, ...clientLocation(aws, 'ssm') }),
        maxAgeSeconds: config.blockedCallersMaxAgeSeconds,
      }),
    metrics,
    clock,
  });

  if (prewarm) {
    // The first channel's scoped session and endpoint: its first request then makes one upstream
    // call instead of three, and the SDK's code paths are warm for the other channels. Not awaited
    // (the bundle is CommonJS, so init cannot wait for it): it overlaps the first invocation, and
    // with provisioned concurrency it may be frozen until then.
    const [first] = config.channels;
    if (first) {
      vendor.prewarm(first.name).catch(warmingFailed('prewarm'));
      // Its signaling sessions too (one per served role, each allowed only that role's Connect action).
      signaling?.prewarm(first.name).catch(warmingFailed('signaling prewarm'));
    }
    // The DynamoDB client's first request pays for loading its code paths, which would otherwise
    // push a request past the table's tight timeout.
    shared?.prewarm().catch(warmingFailed('shared table prewarm'));
    // The list, so that the first request is likelier to find it.
    void blockedCallers.load();
  }

  return createApiHandler({
    vendor,
    signaling,
    storage,
    blockedCallers,
    logger,
    metrics,
    clock,
    auth: {
      mode: config.authMode,
      channelsClaim: config.channelsClaim,
      masterChannelsClaim: config.masterChannelsClaim,
    },
  });
}
