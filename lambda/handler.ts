import { Logger } from '@aws-lambda-powertools/logger';
import { STSClient } from '@aws-sdk/client-sts';
import { createHandler } from './app';
import { clientDefaults } from './aws/clients';
import { AwsSessionBroker } from './aws/session-broker';
import { loadConfig } from './config';
import { ChannelDirectory } from './core/channels';
import { IceVendor } from './core/vendor';

// Everything here runs once per cold start. A missing or invalid variable fails the
// init with a ConfigError that names it, instead of failing every request later.
const config = loadConfig(process.env);
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'kvs-ice-broker' });
const defaults = clientDefaults({
  connectionTimeoutMs: config.connectTimeoutMs,
  requestTimeoutMs: config.requestTimeoutMs,
  maxAttempts: 2,
});

const vendor = new IceVendor({
  channels: new ChannelDirectory(config.channels),
  sessions: new AwsSessionBroker({
    sts: new STSClient(defaults),
    scopedRoleArn: config.scopedRoleArn,
    clientDefaults: defaults,
  }),
  minRemainingTtlSeconds: config.minRemainingTtlSeconds,
});

export const handler = createHandler({ vendor, logger });
