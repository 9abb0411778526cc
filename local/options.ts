import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunnerArgs {
  /** `-c key=value` pairs, over the `context` defaults of cdk.json. */
  readonly context: Record<string, unknown>;
  /** Serve against real AWS (the developer's profile) instead of the emulator. */
  readonly realAws: boolean;
  readonly help: boolean;
}

export const USAGE = `Usage: npm start -- [-c key=value ...] [--aws]

Serves POST /v1/channels/{channel}/ice-servers on 127.0.0.1:$PORT (default 8080) with the
deployed handler, against a local AWS emulator and, when coturn is installed, a real TURN relay.

  -c, --context key=value  the same context keys as cdk deploy (channels, createChannels,
                           minRemainingTtl, auth, jwtIssuer, jwtAudience, jwtScopes,
                           channelsClaim, corsAllowOrigins, ...); locally, channel names need
                           no ARN, auth defaults to none, and auth=jwt without jwtIssuer
                           starts a local token issuer (npm run token mints more tokens)
  --aws                    use real AWS with your own profile instead of the emulator
                           (or KVS_ICE_BROKER_AWS=1); needs -c channels=<channel ARN>
                           and -c scopedRoleArn=<a role your profile may assume>
  -h, --help               this text

Environment: PORT (API, default 8080), EMULATOR_PORT (default: a free port).`;

/** The `context` defaults of the project's cdk.json, shared with deployments. */
export function cdkJsonContext(root: string): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

export function parseArgs(
  argv: readonly string[],
  defaults: Record<string, unknown>,
  env = process.env,
): RunnerArgs {
  const context = { ...defaults };
  let realAws = env.KVS_ICE_BROKER_AWS === '1';
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--aws') realAws = true;
    else if (arg === '-h' || arg === '--help') help = true;
    else if (arg === '-c' || arg === '--context' || arg.startsWith('--context=')) {
      const pair = arg.startsWith('--context=') ? arg.slice('--context='.length) : argv[++i];
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) throw new Error(`${arg} needs key=value, got "${pair ?? ''}"`);
      context[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else throw new Error(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  return { context, realAws, help };
}

/** A TCP port from the environment, or the default; invalid values are an error naming the variable. */
export function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${name} must be a TCP port, got "${raw}"`);
  return port;
}
