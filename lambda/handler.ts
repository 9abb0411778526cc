import { Logger } from '@aws-lambda-powertools/logger';
import { STSClient } from '@aws-sdk/client-sts';
import { clientDefaults } from './aws/clients';
import { emfMetrics } from './aws/emf-metrics';
import { AwsSessionProvider } from './aws/sessions';
import { loadConfig, vendorTuning } from './config';
import { ChannelDirectory } from './core/channels';
import { IceVendor } from './core/vendor';
import { createApiHandler } from './http/adapter';

// Everything here runs once per cold start. A missing or invalid variable fails the
// init with an EnvironmentError that names it, instead of failing every request later.
const config = loadConfig(process.env);
const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'kvs-ice-broker';
const logger = new Logger({ serviceName });
const metrics = {
  ...emfMetrics(process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'KvsIceBroker', serviceName),
  // What the core asks an operator to look into (such as clock skew), as JSON log lines.
  warn: (message: string, fields: Record<string, unknown>) => logger.warn(message, fields),
};
const defaults = clientDefaults({
  connectionTimeoutMs: config.connectTimeoutMs,
  requestTimeoutMs: config.requestTimeoutMs,
  // The vendor retries throttles, outages and timeouts itself, within the request deadline and the upstream budget.
  maxAttempts: 1,
  // The SDK's HTTP handler would write plain-text console lines; the function's log is JSON only.
  warn: (message) => logger.warn('AWS SDK warning', { sdkMessage: message }),
});

const vendor = new IceVendor({
  channels: new ChannelDirectory(config.channels),
  sessions: new AwsSessionProvider({
    sts: new STSClient(defaults),
    scopedRoleArn: config.scopedRoleArn,
    clientDefaults: defaults,
    metrics,
  }),
  policy: vendorTuning(config),
  metrics,
});

// Open the first channel's scoped session and find its endpoint during init (Lambda gives init
// its own CPU burst): that channel's first request then makes one upstream call instead of three,
// and the SDK's code paths are warm for the other channels. Failure only logs: the first request
// tries again.
const [first] = config.channels;
if (first) {
  vendor
    .prewarm(first.name)
    .catch((error: unknown) => logger.warn('prewarm failed', { errorName: (error as Error)?.name }));
}

export const handler = createApiHandler({
  vendor,
  logger,
  metrics,
  auth: { mode: config.authMode, channelsClaim: config.channelsClaim },
});
