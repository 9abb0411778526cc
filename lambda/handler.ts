import { Logger } from '@aws-lambda-powertools/logger';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { blockedCallersParameter } from './aws/blocked-callers-parameter';
import { clientDefaults } from './aws/clients';
import { emfMetrics } from './aws/emf-metrics';
import { AwsSessionProvider } from './aws/sessions';
import { sharedState } from './aws/shared-table';
import { loadConfig, vendorTuning } from './config';
import { METRICS } from './contract';
import { CallerGate } from './core/blocked-callers';
import { ChannelDirectory } from './core/channels';
import { SignalingVendor } from './core/signaling';
import { IceVendor } from './core/vendor';
import { createApiHandler } from './http/adapter';
import { RequestSummaries } from './http/request-summary';

// Everything here runs once per cold start. A missing or invalid variable fails the
// init with an EnvironmentError that names it, instead of failing every request later.
const config = loadConfig(process.env);
// The namespace and service are fixed (lambda/contract.ts METRICS): the stack's alarms and dashboard
// read exactly these, so an override by environment variable would leave them watching nothing.
const logger = new Logger({ serviceName: METRICS.service });
/** The AWS SDK's own warnings (its HTTP handler would write plain-text lines): the log is JSON only. */
const sdkWarning = (message: string) => logger.warn('AWS SDK warning', { sdkMessage: message });
// Each request's log line also says what it cost upstream (cache outcome, upstream calls).
const summaries = new RequestSummaries();
const metrics = summaries.observe({
  ...emfMetrics(METRICS.namespace, METRICS.service),
  // What the core asks an operator to look into (such as clock skew), as JSON log lines.
  warn: (message: string, fields: Record<string, unknown>) => logger.warn(message, fields),
});
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
const shared = sharedState(config, metrics, sdkWarning);
const vendor = new IceVendor({
  channels,
  sessions: new AwsSessionProvider({
    sts: new STSClient(defaults),
    scopedRoleArn: config.scopedRoleArn,
    clientDefaults: defaults,
    metrics,
  }),
  policy: vendorTuning(config),
  metrics,
  budget: shared?.budget,
  sharedCache: shared?.sharedCache,
});

// Start opening the first channel's scoped session and finding its endpoint at cold start: that
// channel's first request then makes one upstream call instead of three, and the SDK's code paths
// are warm for the other channels. Not awaited (the bundle is CommonJS, so init cannot wait for
// it): it overlaps the first invocation, and with provisioned concurrency it may be frozen until
// then. Failure only logs: the first request tries again.
const [first] = config.channels;
if (first) {
  vendor
    .prewarm(first.name)
    .catch((error: unknown) => logger.warn('prewarm failed', { errorName: (error as Error)?.name }));
}
// The same for the shared table: the DynamoDB client's first request pays for loading its code
// paths, which would otherwise push a request past the table's tight timeout.
shared
  ?.prewarm()
  .catch((error: unknown) =>
    logger.warn('shared table prewarm failed', { errorName: (error as Error)?.name }),
  );

// The operator's blocked callers (SSM parameter, cached BLOCKED_CALLERS_MAX_AGE_SECONDS), read
// from cold start too, so that the first request is likelier to find the list.
const blockedCallers = new CallerGate({
  source: blockedCallersParameter({
    name: config.blockedCallersParameter,
    client: new SSMClient(defaults),
    maxAgeSeconds: config.blockedCallersMaxAgeSeconds,
  }),
  metrics,
});
void blockedCallers.load();

// The presigned signaling routes, when the deployment serves any role (SIGNALING_ROLES).
const signaling =
  config.signalingRoles.length > 0
    ? new SignalingVendor({
        channels,
        ice: vendor,
        roles: config.signalingRoles,
        deadlineMs: config.deadlineMs,
        viewerSlotsPerCaller: config.viewerSlotsPerCaller,
        viewerSlots: shared?.viewerSlots,
      })
    : undefined;
// Its sessions (one per served role, each allowed only that role's Connect action) too: the first
// signaling request on that channel then makes one upstream call, GetIceServerConfig.
if (first && signaling) {
  signaling
    .prewarm(first.name)
    .catch((error: unknown) =>
      logger.warn('signaling prewarm failed', { errorName: (error as Error)?.name }),
    );
}

export const handler = createApiHandler({
  vendor,
  signaling,
  blockedCallers,
  logger,
  metrics,
  summaries,
  auth: {
    mode: config.authMode,
    channelsClaim: config.channelsClaim,
    masterChannelsClaim: config.masterChannelsClaim,
  },
});
