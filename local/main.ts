import { join } from 'node:path';
import { parseChannelArn } from '../lambda/core/channels';
import { parseContext } from '../lib/context';
import { startApiServer } from './api-server';
import { authBanner } from './auth/banner';
import { readLocalAuthContext } from './auth/context';
import { CorsRules } from './auth/cors';
import { accountOfArn, startLocalAuth } from './auth/local-auth';
import { cdkJsonContext, parseArgs, portFrom, type RunnerArgs, USAGE } from './options';
import { loadHandler, startLocalStack } from './runner';

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

function curlExample(apiUrl: string, channel: string, extraArgs: readonly string[]): string {
  const extra = extraArgs.map((arg) => ` ${arg}`).join('');
  return `curl -s -X POST ${apiUrl}/v1/channels/${channel}/ice-servers -H 'content-type: application/json'${extra} -d '{"role":"VIEWER"}'`;
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
  const banner = await authBanner(stack.auth, auth, channels);
  const relay = stack.coturn
    ? `live: coturn on 127.0.0.1:${stack.coturn.port} (udp, tcp) and :${stack.coturn.tlsPort} (tls, dtls; self-signed certificate), log ${stack.coturn.logFile}`
    : 'NOT live: coturn is not installed, so the TURN URIs point at a port where nothing listens (install: sudo apt-get install coturn)';
  console.log(
    [
      'kvs-ice-broker is serving locally (no AWS account needed)',
      `  API        ${stack.api.url}/v1/channels/{channel}/ice-servers  (POST)`,
      `  channels   ${channels.join(', ')}`,
      `  AWS        emulator at ${stack.emulator.url} (${stack.emulator.region}); calls: GET ${stack.emulator.url}/_emulator/stats`,
      `  TURN relay ${relay}`,
      ...banner.lines,
      `  try        ${curlExample(stack.api.url, channels[0] ?? 'demo', banner.curlArgs)}`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
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
  const { auth: authOptions, corsAllowOrigins } = readLocalAuthContext((key) => args.context[key]);
  const auth = await startLocalAuth(authOptions, {
    region,
    partition: first?.partition ?? 'aws',
    accountId: accountOfArn(first?.arn ?? ''),
  });
  const handler = await loadHandler({
    SCOPED_ROLE_ARN: role,
    CHANNELS: JSON.stringify(channels),
    AWS_REGION: region,
    MIN_REMAINING_TTL: String(config.broker.minRemainingTtl?.toSeconds() ?? 120),
    POWERTOOLS_SERVICE_NAME: 'kvs-ice-broker',
    ...auth.functionEnv,
  });
  const cors = corsAllowOrigins ? new CorsRules(corsAllowOrigins) : undefined;
  const api = await startApiServer({ port, handler, gate: auth.gate, cors });
  const banner = await authBanner(auth.info, authOptions, Object.keys(channels));
  console.log(
    [
      'kvs-ice-broker is serving locally against REAL AWS (your profile and channels)',
      `  API        ${api.url}/v1/channels/{channel}/ice-servers  (POST)`,
      `  channels   ${Object.keys(channels).join(', ')} in ${region}`,
      `  role       ${role}`,
      ...banner.lines,
      `  try        ${curlExample(api.url, Object.keys(channels)[0] ?? 'demo', banner.curlArgs)}`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
  return () => Promise.all([api.close(), auth.close()]).then(() => undefined);
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
