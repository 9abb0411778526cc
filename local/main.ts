import { join } from 'node:path';
import { ENV, ICE_SERVERS_ROUTE_PATH, iceServersPath } from '../lambda/contract';
import { authBanner } from './auth/banner';
import type { LocalAuthOptions } from './auth/types';
import {
  cdkJsonContext,
  LOCAL_DEFAULT_CHANNEL,
  parseArgs,
  portFrom,
  type RunnerArgs,
  readAwsConfig,
  readEmulatedConfig,
  USAGE,
} from './options';
import { requireAwsCredentials, type ServedHandler, serveHandler, startLocalStack } from './runner';

/** The start-up lines: what is served, the given details, auth, and a curl command that works as printed. */
async function printBanner(
  title: string,
  served: Pick<ServedHandler, 'api' | 'auth'>,
  authOptions: LocalAuthOptions,
  channels: readonly string[],
  details: readonly string[],
): Promise<void> {
  const banner = await authBanner(served.auth, authOptions, channels);
  const extra = banner.curlArgs.map((arg) => ` ${arg}`).join('');
  const url = `${served.api.url}${iceServersPath(channels[0] ?? LOCAL_DEFAULT_CHANNEL)}`;
  console.log(
    [
      title,
      `  API        ${served.api.url}${ICE_SERVERS_ROUTE_PATH}  (POST)`,
      ...details,
      ...banner.lines,
      `  try        curl -s -X POST ${url} -H 'content-type: application/json'${extra} -d '{"role":"VIEWER"}'`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

async function runEmulated(args: RunnerArgs, port: number): Promise<() => Promise<void>> {
  const config = readEmulatedConfig(args.context);
  const { channels, auth } = config;
  const stack = await startLocalStack({
    ...config,
    port,
    emulatorPort: portFrom(process.env, 'EMULATOR_PORT', 0),
  });
  const relay = stack.coturn
    ? `live: coturn on 127.0.0.1:${stack.coturn.port} (udp, tcp) and :${stack.coturn.tlsPort} (tls, dtls; self-signed certificate), log ${stack.coturn.logFile}`
    : 'NOT live: coturn is not installed, so the TURN URIs point at a port where nothing listens (install: sudo apt-get install coturn)';
  await printBanner('kvs-ice-broker is serving locally (no AWS account needed)', stack, auth, channels, [
    `  channels   ${channels.join(', ')}`,
    `  AWS        emulator at ${stack.emulator.url} (${stack.emulator.region}); calls: GET ${stack.emulator.url}/_emulator/stats`,
    `  TURN relay ${relay}`,
  ]);
  return () => stack.close();
}

async function runAgainstAws(args: RunnerArgs, port: number): Promise<() => Promise<void>> {
  const config = readAwsConfig(args.context, process.env);
  await requireAwsCredentials();
  const { region, scopedRoleArn, auth, corsAllowOrigins, minRemainingTtlSeconds } = config;
  const served = await serveHandler({
    port,
    auth,
    corsAllowOrigins,
    minRemainingTtlSeconds,
    site: { region, partition: config.partition, accountId: config.accountId },
    upstreamEnv: {
      [ENV.scopedRoleArn]: scopedRoleArn,
      [ENV.channels]: JSON.stringify(config.channels),
      AWS_REGION: region,
    },
  });
  const names = Object.keys(config.channels);
  await printBanner(
    'kvs-ice-broker is serving locally against REAL AWS (your credentials and channels)',
    served,
    auth,
    names,
    [`  channels   ${names.join(', ')} in ${region}`, `  role       ${scopedRoleArn}`],
  );
  return () => served.close();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), cdkJsonContext(join(__dirname, '..')));
  if (args.help) return console.log(USAGE);
  const port = portFrom(process.env, 'PORT', 8080);
  const stop = await (args.realAws ? runAgainstAws(args, port) : runEmulated(args, port));
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    console.log('stopping…');
    stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(`kvs-ice-broker: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
