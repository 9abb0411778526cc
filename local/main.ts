import { join } from 'node:path';
import { parseChannelArn } from '../lambda/core/channels';
import { parseContext } from '../lib/context';
import { authBanner } from './auth/banner';
import { readLocalAuthContext } from './auth/context';
import { accountOfArn } from './auth/local-auth';
import type { LocalAuthOptions } from './auth/types';
import { cdkJsonContext, parseArgs, portFrom, type RunnerArgs, USAGE } from './options';
import { type ServedHandler, serveHandler, startLocalStack } from './runner';

/** Locally every `channels` entry (name, name/creationTime or ARN) names a channel the emulator creates. */
function localChannelNames(context: Record<string, unknown>): string {
  const list = (value: unknown) =>
    Array.isArray(value) ? value.map(String) : String(value ?? '').split(',');
  const existing = list(context.channels).map(
    (entry) => parseChannelArn(entry.trim())?.name ?? entry.split('/')[0],
  );
  return [...new Set([...existing, ...list(context.createChannels)].map((name) => name?.trim() ?? ''))]
    .filter(Boolean)
    .join(',');
}

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
  const url = `${served.api.url}/v1/channels/${channels[0] ?? 'demo'}/ice-servers`;
  console.log(
    [
      title,
      `  API        ${served.api.url}/v1/channels/{channel}/ice-servers  (POST)`,
      ...details,
      ...banner.lines,
      `  try        curl -s -X POST ${url} -H 'content-type: application/json'${extra} -d '{"role":"VIEWER"}'`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

async function runEmulated(args: RunnerArgs, port: number): Promise<() => Promise<void>> {
  const names = localChannelNames(args.context);
  const config = parseContext((key) =>
    key === 'channels' ? undefined : key === 'createChannels' ? names : args.context[key],
  );
  const channels = config.broker.createChannels ?? [];
  const { auth, corsAllowOrigins } = readLocalAuthContext((key) => args.context[key]);
  const stack = await startLocalStack({
    port,
    emulatorPort: portFrom(process.env, 'EMULATOR_PORT', 0),
    channels,
    minRemainingTtlSeconds: config.broker.minRemainingTtl?.toSeconds(),
    region: typeof args.context.region === 'string' ? args.context.region : undefined,
    auth,
    corsAllowOrigins,
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
  const config = parseContext((key) => args.context[key]);
  const existing = config.broker.existingChannels ?? [];
  const arns = existing.map((channel) => ('arn' in channel ? channel.arn : undefined));
  const role = args.context.scopedRoleArn ?? process.env.SCOPED_ROLE_ARN;
  if (arns.length === 0 || arns.some((arn) => arn === undefined) || typeof role !== 'string') {
    throw new Error(
      '--aws needs -c channels=<full channel ARNs> and -c scopedRoleArn=<role your profile may assume>',
    );
  }
  const channels = Object.fromEntries(existing.map((channel, i) => [channel.name, arns[i]]));
  const first = parseChannelArn(arns[0] ?? '');
  const region = process.env.AWS_REGION ?? first?.region ?? '';
  const { auth, corsAllowOrigins } = readLocalAuthContext((key) => args.context[key]);
  const served = await serveHandler({
    port,
    auth,
    corsAllowOrigins,
    site: { region, partition: first?.partition ?? 'aws', accountId: accountOfArn(first?.arn ?? '') },
    upstreamEnv: { SCOPED_ROLE_ARN: role, CHANNELS: JSON.stringify(channels), AWS_REGION: region },
    minRemainingTtlSeconds: config.broker.minRemainingTtl?.toSeconds(),
  });
  const names = Object.keys(channels);
  await printBanner(
    'kvs-ice-broker is serving locally against REAL AWS (your profile and channels)',
    served,
    auth,
    names,
    [`  channels   ${names.join(', ')} in ${region}`, `  role       ${role}`],
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
