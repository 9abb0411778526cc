import { randomBytes } from 'node:crypto';
import { ENV } from '../lambda/contract';
import { type ApiServer, type LambdaHandler, startApiServer } from './api-server';
import { CorsRules } from './auth/cors';
import { type AuthSite, accountOfArn, startLocalAuth } from './auth/local-auth';
import type { LocalAuthInfo, LocalAuthOptions } from './auth/types';
import { type Coturn, findTurnserver, startCoturn } from './coturn';
import { type Emulator, startEmulator } from './emulator';

export type { LocalAuthOptions } from './auth/types';

export interface LocalStackOptions {
  /** API port on 127.0.0.1 (0 = free). */
  readonly port: number;
  /** Emulator port on 127.0.0.1 (0 = free). */
  readonly emulatorPort?: number;
  /** Signaling channels the emulator has and the API serves. */
  readonly channels: readonly string[];
  readonly region?: string;
  readonly minRemainingTtlSeconds?: number;
  /** Start coturn when `turnserver` is installed (default true). */
  readonly relay?: boolean;
  /** Extra environment for the function (e.g. log level). */
  readonly env?: Record<string, string>;
  /** How callers authenticate, as `-c auth=…` chooses for a deployment; default `{ mode: 'none' }`. */
  readonly auth?: LocalAuthOptions;
  /** Origins that get CORS headers (and preflight answers), as `-c corsAllowOrigins=…`. */
  readonly corsAllowOrigins?: readonly string[];
}

export interface LocalStack {
  readonly api: ApiServer;
  readonly emulator: Emulator;
  /** The live TURN relay, or undefined when coturn is not installed or not wanted. */
  readonly coturn: Coturn | undefined;
  readonly channelArns: ReadonlyMap<string, string>;
  /** The auth mode in force, with what a caller needs to pass it (token minting, dev credentials). */
  readonly auth: LocalAuthInfo;
  close(): Promise<void>;
}

/**
 * Environment that points the unmodified handler at the emulator, as its deployment points it at
 * AWS: the emulator's credentials, and none of the developer's (a profile or session token would win).
 */
function emulatorEnvironment(emulator: Emulator): Record<string, string | undefined> {
  return {
    AWS_REGION: emulator.region,
    AWS_ACCESS_KEY_ID: emulator.executionCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.executionCredentials.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_DEFAULT_PROFILE: undefined,
    AWS_ENDPOINT_URL_STS: emulator.url,
    AWS_ENDPOINT_URL_KINESIS_VIDEO: emulator.url,
    [ENV.scopedRoleArn]: emulator.scopedRoleArn,
    [ENV.channels]: JSON.stringify(Object.fromEntries(emulator.channelArns)),
  };
}

const PROVIDE_CREDENTIALS =
  'Provide them as for the AWS CLI: AWS_PROFILE=<profile> (after `aws sso login --profile <profile>` ' +
  'for an IAM Identity Center profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ' +
  '(and AWS_SESSION_TOKEN for temporary credentials).';

/**
 * Resolves the default AWS credential chain once, as the function will (environment variables,
 * `AWS_PROFILE` and the shared config files, SSO, ...), so that `--aws` without usable credentials
 * fails at start saying how to provide them, instead of answering every request with an error.
 * Credentials that carry an expiry must not have expired. Throws an `Error` with that advice.
 */
export async function requireAwsCredentials(): Promise<void> {
  const { STSClient } = await import('@aws-sdk/client-sts');
  let expiration: Date | undefined;
  try {
    ({ expiration } = await new STSClient({}).config.credentials());
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`--aws found no usable AWS credentials (${cause}). ${PROVIDE_CREDENTIALS}`);
  }
  if (expiration !== undefined && expiration.getTime() <= Date.now()) {
    throw new Error(
      `--aws found expired AWS credentials (expired ${expiration.toISOString()}). ${PROVIDE_CREDENTIALS}`,
    );
  }
}

/** Loads the deployed handler module with `env` as its environment (it reads it at cold start). */
async function loadHandler(env: Record<string, string | undefined>): Promise<LambdaHandler> {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const module = await import('../lambda/handler');
  return module.handler as LambdaHandler;
}

export interface ServeOptions {
  readonly port: number;
  readonly auth?: LocalAuthOptions;
  readonly corsAllowOrigins?: readonly string[];
  /** Region, partition and account the auth gate speaks for. */
  readonly site: AuthSite;
  /** Where the function finds AWS (the emulator, or the developer's own account) and its channels. */
  readonly upstreamEnv: Record<string, string | undefined>;
  readonly minRemainingTtlSeconds?: number;
  /** Extra environment for the function (e.g. log level). */
  readonly env?: Record<string, string>;
}

export interface ServedHandler {
  readonly api: ApiServer;
  readonly auth: LocalAuthInfo;
  close(): Promise<void>;
}

/**
 * The local API in front of the deployed handler module, with the auth gate and CORS a
 * deployment with the same context would have. One per process: the handler reads its
 * configuration once.
 */
export async function serveHandler(options: ServeOptions): Promise<ServedHandler> {
  const auth = await startLocalAuth(options.auth ?? { mode: 'none' }, options.site);
  try {
    const handler = await loadHandler({
      ...options.upstreamEnv,
      [ENV.minRemainingTtlSeconds]: options.minRemainingTtlSeconds?.toString(),
      POWERTOOLS_SERVICE_NAME: 'kvs-ice-broker',
      // EMF metrics only mean something in CloudWatch; locally they would be noise on stdout.
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...auth.functionEnv,
      ...options.env,
    });
    const cors = options.corsAllowOrigins?.length ? new CorsRules(options.corsAllowOrigins) : undefined;
    const api = await startApiServer({ port: options.port, handler, gate: auth.gate, cors });
    return {
      api,
      auth: auth.info,
      close: () => Promise.all([api.close(), auth.close()]).then(() => undefined),
    };
  } catch (error) {
    await auth.close();
    throw error;
  }
}

/**
 * The whole product on loopback: the AWS emulator, coturn (when installed) and the API server
 * invoking the deployed handler module. One per process: the handler reads its configuration once.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const secret = randomBytes(24).toString('base64url');
  const coturn = options.relay !== false && findTurnserver() ? await startCoturn({ secret }) : undefined;
  const started: { close(): Promise<void> }[] = coturn ? [{ close: () => coturn.stop() }] : [];
  const closeAll = () =>
    Promise.allSettled(started.reverse().map((part) => part.close())).then(() => undefined);
  try {
    const emulator = await startEmulator({
      port: options.emulatorPort ?? 0,
      region: options.region,
      channels: [...options.channels],
      turn: { host: '127.0.0.1', port: coturn?.port ?? 3478, tlsPort: coturn?.tlsPort ?? 5349, secret },
    });
    started.push(emulator);
    const served = await serveHandler({
      ...options,
      site: {
        region: emulator.region,
        partition: emulator.partition,
        accountId: accountOfArn(emulator.scopedRoleArn),
      },
      upstreamEnv: emulatorEnvironment(emulator),
    });
    started.push(served);
    const { api, auth } = served;
    return { api, emulator, coturn, channelArns: emulator.channelArns, auth, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
