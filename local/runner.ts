import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ICE_SERVERS_ROUTE_PATH,
  SIGNALING_ROUTE_PATHS,
  STORAGE_SESSION_ROUTE_PATHS,
} from '@kvs-ice-broker/client/contract';
import type { AwsClientOptions } from '../lambda/aws/clients';
import { servedSignalingRoles, signalingRolesOf } from '../lambda/contract';
import type { ApiHandler } from '../lambda/http/adapter';
import { ENV } from '../lambda/settings';
import { type FunctionResources, functionEnvironment } from '../lib/function-environment';
import { scopedRoleStatements } from '../lib/iam-policies';
import {
  LOCAL_BLOCKED_CALLERS_PARAMETER,
  type LocalBlockedCallers,
  publishBlockedCallers,
} from './blocked-callers';
import { demoPages } from './demo/server';
import { connectDynamoDb, type LocalDynamoDb, startLocalDynamoDb } from './dynamodb';
import { type Emulator, type QuotaSettings, startEmulator } from './emulator';
import { type LocalFleet, startFunctionInstances } from './fleet/instances';
import { createLocalHandler, type LocalFunctionInit } from './function';
import { type LocalAuthInfo, type LocalAuthOptions, startLocalAuth } from './gateway/auth-mode';
import { localCors } from './gateway/cors';
import type { AuthSite } from './gateway/iam-authorizer';
import { type ApiServer, startApiServer } from './gateway/server';
import type { LocalFunctionSettings } from './options';
import { createRelayCertificate, ensureLocalCa } from './relay/certificate';
import { type Coturn, findTurnserver, startCoturn } from './relay/coturn';

/**
 * What {@link startLocalStack} runs. The function's settings (`minRemainingTtl`,
 * `signalingRoles`, `viewerSlotsPerCaller`, `sharedCache` …) are the props a deployment gives.
 */
export interface LocalStackOptions extends LocalFunctionSettings {
  /** API port on 127.0.0.1 (0 = free). */
  readonly port: number;
  /** Emulator port on 127.0.0.1 (0 = free). */
  readonly emulatorPort?: number;
  /** Signaling channels the emulator has and the API serves. */
  readonly channels: readonly string[];
  /**
   * The channels whose media storage the emulator has `ENABLED` (WebRTC ingestion); default every
   * channel with `storageSessions`, none without.
   */
  readonly storageChannels?: readonly string[];
  /** The emulated Region (its partition follows); default the emulator's, `us-west-2`. */
  readonly region?: string;
  /** Start coturn when `turnserver` is installed (default true). */
  readonly relay?: boolean;
  /** The function's variables over those its settings give (e.g. `POWERTOOLS_LOG_LEVEL`, `UPSTREAM_DEADLINE_MS`). */
  readonly env?: Record<string, string>;
  /** How callers authenticate, as `-c auth=…` chooses for a deployment; default `{ mode: 'none' }`. */
  readonly auth?: LocalAuthOptions;
  /** Origins that get CORS headers (and preflight answers), as `-c corsAllowOrigins=…`. */
  readonly corsAllowOrigins?: readonly string[];
  /**
   * Callers the API refuses with 403 CallerBlocked, as `-c blockedCallers=…` or
   * `-c blockedCallersFile=…`: kept in the emulator's SSM parameter, which the function reads as
   * deployed (`BLOCKED_CALLERS_MAX_AGE_SECONDS` in `env` shortens its cache). Default: nobody.
   */
  readonly blockedCallers?: LocalBlockedCallers;
  /** How many function instances, and whether they share the table (local/fleet/instances.ts); default one, in process. */
  readonly fleet?: LocalFleet;
  /** The emulator's request-rate quotas; default AWS's, enforced. */
  readonly quotas?: QuotaSettings;
  /** Another DynamoDB for the shared table (`--dynamodb-endpoint`); default an embedded dynalite. */
  readonly dynamodbEndpoint?: string;
  /**
   * The emulator's sample viewer user, whose keys a page may hold as the KVS samples' pages do
   * (`EmulatorOptions.sampleViewerUser`): for the first-frame benchmark's baseline. Default: none.
   */
  readonly sampleViewerUser?: boolean;
}

/** The whole product running on loopback. */
export interface LocalStack {
  readonly api: ApiServer;
  readonly emulator: Emulator;
  /** The live TURN relay, or undefined when coturn is not installed or not wanted. */
  readonly coturn: Coturn | undefined;
  /** Channel name to ARN, as the emulator has them. */
  readonly channelArns: ReadonlyMap<string, string>;
  /** The auth mode in force, with what a caller needs to pass it (token minting, dev credentials). */
  readonly auth: LocalAuthInfo;
  /** Origins that get CORS answers (see {@link ServedHandler.corsOrigins}). */
  readonly corsOrigins: readonly string[];
  /** The local DynamoDB with the shared table, when the function has one (see {@link LocalFleet}). */
  readonly dynamodb: LocalDynamoDb | undefined;
  /** Stops the API, the emulator and coturn (last started, first stopped); never rejects. */
  close(): Promise<void>;
}

/**
 * Where the function's SDK clients find the emulator, as a deployment's find AWS: its endpoints
 * (on `[::1]` in dual-stack mode), Region and execution credentials (none of the developer's: no
 * profile or session token), and `dynamodb`'s endpoint when the function has the shared table.
 * The endpoint URLs win over the function's endpoint mode (`dualStack`, `fips`), as the SDK wants.
 */
export function emulatorAws(emulator: Emulator, dynamodb?: LocalDynamoDb): AwsClientOptions {
  // In dual-stack mode the function reaches the emulator over IPv6 loopback, as an IPv6-only network would.
  const url = emulator.ipv6Url ?? emulator.url;
  return {
    region: emulator.region,
    credentials: {
      accessKeyId: emulator.executionCredentials.accessKeyId,
      secretAccessKey: emulator.executionCredentials.secretAccessKey,
    },
    endpoints: {
      sts: url,
      kinesisVideo: url,
      ssm: url,
      ...(dynamodb ? { dynamodb: dynamodb.url } : {}),
    },
  };
}

/** What the emulator gives the function in place of the stack's resources. */
export function emulatorResources(emulator: Emulator, dynamodb?: LocalDynamoDb): FunctionResources {
  return {
    scopedRoleArn: emulator.scopedRoleArn,
    channels: JSON.stringify(Object.fromEntries(emulator.channelArns)),
    blockedCallersParameter: LOCAL_BLOCKED_CALLERS_PARAMETER,
    ...(dynamodb ? { sharedTable: dynamodb.tableName } : {}),
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

/** What {@link serveHandler} serves, and where the function finds AWS. */
export interface ServeOptions extends LocalFunctionSettings {
  /** API port on 127.0.0.1 (0 = free). */
  readonly port: number;
  /** How callers authenticate; default `{ mode: 'none' }`. */
  readonly auth?: LocalAuthOptions;
  /** Origins that get CORS headers (and preflight answers). */
  readonly corsAllowOrigins?: readonly string[];
  /** Region, partition and account the IAM authorizer speaks for. */
  readonly site: AuthSite;
  /** Where the function's SDK clients find AWS: the emulator, or the developer's own account. */
  readonly aws: AwsClientOptions;
  /** What the function uses in place of a deployment's resources: the scoped role, the channels … */
  readonly resources: FunctionResources;
  /** A fixed blocked-callers list instead of the SSM parameter's (`LocalFunctionInit.blockedCallers`). */
  readonly fixedBlockedCallers?: string;
  /** The function's variables over those its settings give (e.g. `POWERTOOLS_LOG_LEVEL`). */
  readonly env?: Record<string, string>;
  /** Variables the local stand-ins need unless the settings or `env` say otherwise (dynalite's slower answers). */
  readonly localDefaults?: Record<string, string>;
  /** The /demo page's channel list and the relay's CA certificate, if the relay runs. */
  readonly demo: { readonly channels: readonly string[]; readonly caFile?: string };
  /** How many function instances serve (default one, in this process). */
  readonly fleet?: LocalFleet;
}

/** The function as the local API invokes it: one instance in this process, or a fleet of instance processes. */
interface LocalFunction {
  readonly handler: ApiHandler;
  close(): Promise<void>;
}

async function startFunction(init: LocalFunctionInit, fleet: LocalFleet = {}): Promise<LocalFunction> {
  const count = fleet.instances ?? 1;
  if (count <= 1) return { handler: createLocalHandler(init), close: async () => undefined };
  return startFunctionInstances({ count, init, script: fleet.script, stdout: fleet.stdout });
}

/**
 * The routes a deployment with this `signalingRoles` setting has (auth mode `none` never has the
 * master route), and with `storageSessions` the storage-session routes of the same roles.
 */
function apiRoutes(
  setting: readonly string[] | undefined,
  auth: LocalAuthInfo,
  storageSessions = false,
): string[] {
  const roles = servedSignalingRoles(signalingRolesOf(setting), auth.mode);
  return [
    ICE_SERVERS_ROUTE_PATH,
    ...roles.map((role) => SIGNALING_ROUTE_PATHS[role]),
    ...(storageSessions ? roles.map((role) => STORAGE_SESSION_ROUTE_PATHS[role]) : []),
  ];
}

/** The local API serving the deployed function. */
export interface ServedHandler {
  readonly api: ApiServer;
  /** The auth mode in force, with what a caller needs to pass it. */
  readonly auth: LocalAuthInfo;
  /** Origins that get CORS answers: `-c corsAllowOrigins`, else the loopback origins in `none` mode, else none. */
  readonly corsOrigins: readonly string[];
  /** Stops the API and the dev identity provider, if one was started. */
  close(): Promise<void>;
}

/**
 * The local API in front of the deployed function, with the authorizer and CORS a deployment with
 * the same context would have, and the function built from the variables that deployment would
 * give it (lib/function-environment.ts) over `env`.
 */
export async function serveHandler(options: ServeOptions): Promise<ServedHandler> {
  const authOptions = options.auth ?? { mode: 'none' };
  const auth = await startLocalAuth(authOptions, options.site);
  let api: ApiServer | undefined;
  let loading: Promise<LocalFunction> | undefined;
  try {
    const cors = localCors(options.corsAllowOrigins, auth.info.mode);
    const pages = demoPages({ ...options.demo, authMode: auth.info.mode, region: options.site.region });
    // The port first: a taken port fails before the function's cold start, which reads from AWS
    // (the blocked-callers list, the pre-warm) and would log those reads cut off by the teardown.
    // A request that arrives meanwhile waits for the function, as for a cold start.
    api = await startApiServer({
      port: options.port,
      handler: async (event, context) => {
        if (loading === undefined) throw new Error('the function has not started');
        return (await loading).handler(event, context);
      },
      authorizer: auth.authorizer,
      routes: apiRoutes(options.signalingRoles, auth.info, options.storageSessions === true),
      cors: cors.rules,
      pages,
    });
    const environment = {
      ...options.localDefaults,
      ...functionEnvironment({ ...options, auth: authOptions }, options.resources),
      // EMF metrics only mean something in CloudWatch; locally they would be noise on stdout.
      [ENV.metricsDisabled]: 'true',
      ...options.env,
    };
    const { aws, fixedBlockedCallers: blockedCallers } = options;
    loading = startFunction(
      { environment, aws, ...(blockedCallers !== undefined ? { blockedCallers } : {}) },
      options.fleet,
    );
    const started = await loading;
    const served = api;
    return {
      api: served,
      auth: auth.info,
      corsOrigins: cors.origins,
      close: () => Promise.all([served.close(), auth.close(), started.close()]).then(() => undefined),
    };
  } catch (error) {
    // Whatever started before the failure (the fleet's instance processes too) stops with it.
    await Promise.all([api?.close(), auth.close(), loading?.then((fn) => fn.close()).catch(() => undefined)]);
    throw error;
  }
}

/**
 * A certificate for `localhost`, `127.0.0.1` and `::1` signed by the local CA (the relay's), as
 * PEM text for the emulator's `wss://` signaling service; its files are removed at once.
 */
async function signalingCertificate(): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'kvs-signaling-tls-'));
  try {
    const files = await createRelayCertificate(dir, await ensureLocalCa());
    return { cert: await readFile(files.certFile, 'utf8'), key: await readFile(files.keyFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Logs (stderr) that the relay died while serving: nothing restarts it, and the API keeps vending its URIs. */
function reportRelayExit(status: string, coturn: Coturn): void {
  console.error(
    `kvs-ice-broker: the TURN relay (coturn, pid ${coturn.pid}) exited (${status}) while serving: ` +
      `the TURN URIs the API vends point at ports where nothing listens until npm start is restarted; coturn's log: ${coturn.logFile}`,
  );
}

/**
 * The whole product on loopback: the AWS emulator, coturn (when installed) and the API server
 * invoking the deployed function, built from this stack's configuration (any number run in a process).
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const secret = randomBytes(24).toString('base64url');
  const coturn =
    options.relay !== false && findTurnserver()
      ? await startCoturn({ secret, onExit: reportRelayExit })
      : undefined;
  const started: { close(): Promise<void> }[] = coturn ? [{ close: () => coturn.stop() }] : [];
  const closeAll = () =>
    Promise.allSettled(started.reverse().map((part) => part.close())).then(() => undefined);
  try {
    const dualStack = options.dualStack === true;
    const emulator = await startEmulator({
      port: options.emulatorPort ?? 0,
      region: options.region,
      channels: [...options.channels],
      // With storage sessions every channel records media unless the options say which do.
      storageChannels: [...(options.storageChannels ?? (options.storageSessions ? options.channels : []))],
      // Dual-stack: the emulator serves [::1] too, and its TURN URIs name the relay there.
      dualStack,
      turn: {
        host: dualStack ? '::1' : '127.0.0.1',
        port: coturn?.port ?? 3478,
        tlsPort: coturn?.tlsPort ?? 5349,
        secret,
      },
      quotas: options.quotas,
      sampleViewerUser: options.sampleViewerUser,
      // wss:// signaling with the local CA whenever the relay's turns: needs it trusted anyway.
      ...(coturn ? { signalingTls: await signalingCertificate() } : {}),
      // The scoped role grants what the stack's would (lib/iam-policies.ts), nothing more.
      scopedRolePolicy: (channelArns) =>
        scopedRoleStatements(
          channelArns,
          signalingRolesOf(options.signalingRoles),
          options.storageSessions === true,
        ),
    });
    started.push(emulator);
    const fleet = options.fleet ?? {};
    const wantsTable = fleet.sharedTable ?? (fleet.instances ?? 1) > 1;
    const dynamodb = !wantsTable
      ? undefined
      : options.dynamodbEndpoint
        ? await connectDynamoDb(options.dynamodbEndpoint)
        : await startLocalDynamoDb();
    if (dynamodb) started.push(dynamodb);
    const stopPublishing = publishBlockedCallers(options.blockedCallers, {
      setParameter: (name, value) => emulator.setParameter(name, value),
      warn: (message) => console.warn(`kvs-ice-broker: ${message}`),
    });
    started.push({ close: async () => stopPublishing() });
    const served = await serveHandler({
      ...options,
      site: { region: emulator.region, partition: emulator.partition, accountId: emulator.accountId },
      aws: emulatorAws(emulator, dynamodb),
      resources: emulatorResources(emulator, dynamodb),
      localDefaults: dynamodb?.functionEnvironment(),
      demo: { channels: options.channels, ...(coturn ? { caFile: coturn.caFile } : {}) },
    });
    started.push(served);
    const { api, auth, corsOrigins } = served;
    return {
      api,
      emulator,
      coturn,
      dynamodb,
      channelArns: emulator.channelArns,
      auth,
      corsOrigins,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
