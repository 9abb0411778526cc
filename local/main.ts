import { join } from 'node:path';
import {
  type AuthMode,
  BLOCKED_CALLERS_FORMAT,
  servedSignalingRoles,
  signalingRolesOf,
} from '../lambda/contract';
import { startupBanner } from './banner';
import { LOCAL_BLOCKED_CALLERS_PARAMETER, type LocalBlockedCallers } from './blocked-callers';
import type { LocalDynamoDb } from './dynamodb';
import { stopWithParent } from './lifetime';
import {
  cdkJsonContext,
  parseArgs,
  portFrom,
  type RunnerArgs,
  readAwsConfig,
  readEmulatedConfig,
  USAGE,
} from './options';
import { requireAwsCredentials, serveHandler, startLocalStack } from './runner';
import { printSdkNoticeOnce } from './sdk-notice';

/** How to make browsers accept the relay's `turns:` certificate: trust the machine's local CA once. */
function caLines(caFile: string): string[] {
  return [
    `  TLS CA     ${caFile}: the local CA that signs the relay's certificate; browsers refuse turns: until they trust it`,
    `             (Chromium on Linux: certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n kvs-ice-broker-local -i ${caFile};`,
    '              no database yet? first: mkdir -p ~/.pki/nssdb && certutil -d sql:$HOME/.pki/nssdb -N --empty-password)',
  ];
}

/** The signaling routes served, as the banner names them: auth mode `none` never serves master, and says so. */
function signalingRouteNames(setting: readonly string[], mode: AuthMode): string {
  const roles = signalingRolesOf(setting);
  const served = servedSignalingRoles(roles, mode);
  const left = roles.filter((role) => !served.includes(role));
  const spelled = (list: readonly string[]) => list.map((role) => role.toLowerCase());
  return `${spelled(served).join('|')}${left.length > 0 ? ` (not ${spelled(left).join(', ')}: auth=${mode} never serves it)` : ''}`;
}

/** The emulated product: AWS emulator, coturn when installed, the local API; returns how to stop it. */
async function runEmulated(args: RunnerArgs, port: number): Promise<() => Promise<void>> {
  const config = readEmulatedConfig(args.context);
  const { channels, auth } = config;
  const stack = await startLocalStack({
    ...config,
    port,
    emulatorPort: portFrom(process.env, 'EMULATOR_PORT', 0),
    fleet: { instances: args.instances, sharedTable: args.instances > 1 || config.sharedCache === true },
    ...(args.dynamodbEndpoint !== undefined ? { dynamodbEndpoint: args.dynamodbEndpoint } : {}),
  });
  const relayOn = (port: number) =>
    stack.coturn?.ipv6Host ? `127.0.0.1:${port} and [::1]:${port}` : `127.0.0.1:${port}`;
  const relay = stack.coturn
    ? `live: coturn on ${relayOn(stack.coturn.port)} (udp, tcp) and :${stack.coturn.tlsPort} (tls, dtls), log ${stack.coturn.logFile}`
    : 'NOT live: coturn is not installed, so the TURN URIs point at a port where nothing listens (install: sudo apt-get install coturn)';
  const banner = await startupBanner({
    title: 'kvs-ice-broker is serving locally (no AWS account needed)',
    api: stack.api,
    auth: stack.auth,
    authOptions: auth,
    channels,
    corsOrigins: stack.corsOrigins,
    awsTools: { environment: stack.emulator.toolEnvironment(), scopedRoleArn: stack.emulator.scopedRoleArn },
    details: [
      `  channels   ${channels.join(', ')}`,
      `  AWS        emulator at ${stack.emulator.url} (${stack.emulator.region}); calls: GET ${stack.emulator.url}/_emulator/stats`,
      ...endpointModeLines(config, stack.emulator.ipv6Url),
      `  function   ${describeFunction(args.instances, stack.dynamodb)}`,
      `  TURN relay ${relay}`,
      ...(stack.coturn ? caLines(stack.coturn.caFile) : []),
      ...(config.signalingRoles?.length
        ? [
            `  signaling  POST /v1/channels/{channel}/${signalingRouteNames(config.signalingRoles, auth.mode)} -> presigned ${stack.emulator.signalingEndpoints.viewer}/?… (viewers), ${stack.emulator.signalingEndpoints.master}/?… (master) (KVS signaling emulated; those ports answer plain ws:// too, for tools; GET ${stack.emulator.url}/_emulator/signaling)`,
          ]
        : []),
      `  blocked    ${describeBlockedCallers(config.blockedCallers)}`,
    ],
  });
  console.log(banner);
  return () => stack.close();
}

/**
 * The banner's lines about `-c dualStack=true` and `-c fips=true`: what the function vends, and
 * where the emulator serves it (docs/local-development.md).
 */
function endpointModeLines(
  config: { readonly dualStack?: boolean; readonly fips?: boolean },
  ipv6Url: string | undefined,
): string[] {
  const lines: string[] = [];
  if (config.dualStack)
    lines.push(
      `  dual-stack KVS's dual-stack STUN URL; the function reaches the emulator at ${ipv6Url ?? '(none)'}, signaling and TURN on [::1]`,
    );
  if (config.fips)
    lines.push(
      "  FIPS       KVS's FIPS STUN URL (stuns:); the emulator answers as in any mode (it has no FIPS endpoints to tell apart)",
    );
  return lines;
}

/** The banner's line about blocked callers. */
function describeBlockedCallers(source: LocalBlockedCallers | undefined): string {
  if (source === undefined)
    return 'nobody (block callers with -c blockedCallers=<id,sub:subject> or -c blockedCallersFile=<json>)';
  if ('list' in source) return `${source.list.join(', ')} (403 CallerBlocked)`;
  return `callers listed in ${source.file} (re-read on change; the API applies it within BLOCKED_CALLERS_MAX_AGE_SECONDS, 60 s)`;
}

/** The banner's line about the function: how many instances, and the shared table they use. */
function describeFunction(instances: number, dynamodb: LocalDynamoDb | undefined): string {
  const count =
    instances > 1
      ? `${instances} instances (processes of their own, called in turn)`
      : '1 instance (in this process)';
  return dynamodb
    ? `${count}; shared table ${dynamodb.tableName} in a local DynamoDB (dynalite) at ${dynamodb.url}`
    : `${count}; no shared table, the per-instance call budget (--instances N shares one)`;
}

/** The local API in front of real AWS (the developer's credentials and channels); returns how to stop it. */
async function runAgainstAws(args: RunnerArgs, port: number): Promise<() => Promise<void>> {
  const config = readAwsConfig(args.context, process.env);
  await requireAwsCredentials();
  const { region, scopedRoleArn, auth, partition, accountId, channels, ...settings } = config;
  const served = await serveHandler({
    ...settings,
    port,
    auth,
    site: { region, partition, accountId },
    aws: { region },
    resources: {
      scopedRoleArn,
      channels: JSON.stringify(channels),
      blockedCallersParameter: LOCAL_BLOCKED_CALLERS_PARAMETER,
    },
    // The developer's account has no blocked-callers parameter: nobody is blocked.
    fixedBlockedCallers: BLOCKED_CALLERS_FORMAT.empty,
    demo: { channels: Object.keys(config.channels) },
  });
  const names = Object.keys(config.channels);
  const banner = await startupBanner({
    title: 'kvs-ice-broker is serving locally against REAL AWS (your credentials and channels)',
    api: served.api,
    auth: served.auth,
    authOptions: auth,
    channels: names,
    corsOrigins: served.corsOrigins,
    details: [`  channels   ${names.join(', ')} in ${region}`, `  role       ${scopedRoleArn}`],
  });
  console.log(banner);
  return () => served.close();
}

/** `npm start`: the local API against the AWS emulator and coturn, or (`--aws`) against real AWS. */
async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), cdkJsonContext(join(__dirname, '..')));
  if (args.help) return console.log(USAGE);
  printSdkNoticeOnce();
  const port = portFrom(process.env, 'PORT', 8080);
  const stop = await (args.realAws ? runAgainstAws(args, port) : runEmulated(args, port));
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    stop().finally(() => process.exit(0));
  };
  stopWithParent(shutdown);
}

main().catch((error: unknown) => {
  console.error(`kvs-ice-broker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
