import { TOKENS_PATH } from './issuer';
import type { MintRequest } from './token-minter';

/** The environment variable `npm run token` reads the issuer URL from (the runner prints it). */
export const ISSUER_ENV = 'KVS_ICE_BROKER_ISSUER';

/** `npm run token -- --help`. */
export const TOKEN_USAGE = `Usage: npm run token -- --sub <user> [--channels a,b] [--master-channels a] [--scope "s1 s2"] [--expires-in <seconds>] [--issuer <url>]

Mints a token from the local issuer of \`npm start -- -c auth=jwt\` and prints it.
  --sub         the token's subject (required)
  --channels    channel names for the channels claim (comma-separated)
  --master-channels  channel names the token may master (the master channels claim, comma-separated)
  --scope       space-separated OAuth scopes
  --expires-in  seconds until it expires (default 3600; negative: already expired)
  --issuer      the issuer URL the runner printed (default: $${ISSUER_ENV})`;

/** A parsed `npm run token` command line: which issuer, and what to mint. */
export interface TokenArgs {
  readonly issuer: string;
  readonly request: MintRequest;
}

const FLAGS = ['--sub', '--channels', '--master-channels', '--scope', '--expires-in', '--issuer'] as const;
type Flag = (typeof FLAGS)[number];

function flagValues(argv: readonly string[]): Map<Flag, string> {
  const values = new Map<Flag, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = FLAGS.find((known) => known === name);
    if (!flag) throw new Error(`unknown argument "${arg}"\n\n${TOKEN_USAGE}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    values.set(flag, value);
  }
  return values;
}

function expiresIn(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds)) throw new Error(`--expires-in must be whole seconds, got "${raw}"`);
  return seconds;
}

/**
 * The issuer and mint request of a command line; `help` for -h / --help. Throws an `Error`
 * naming the flag for an unknown flag, a missing value, no `--sub`, non-integer `--expires-in`,
 * or no issuer (neither `--issuer` nor {@link ISSUER_ENV}).
 */
export function parseTokenArgs(argv: readonly string[], env: NodeJS.ProcessEnv): TokenArgs | 'help' {
  if (argv.includes('-h') || argv.includes('--help')) return 'help';
  const values = flagValues(argv);
  const sub = values.get('--sub');
  if (!sub) throw new Error(`--sub is required\n\n${TOKEN_USAGE}`);
  const issuer = values.get('--issuer') ?? env[ISSUER_ENV];
  if (!issuer)
    throw new Error(`give --issuer <url> or set ${ISSUER_ENV} (npm start -- -c auth=jwt prints it)`);
  const list = (flag: Flag) =>
    values
      .get(flag)
      ?.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  const channels = list('--channels');
  const masterChannels = list('--master-channels');
  const scope = values.get('--scope');
  const expiresInSeconds = expiresIn(values.get('--expires-in'));
  return {
    issuer,
    request: {
      sub,
      ...(channels !== undefined ? { channels } : {}),
      ...(masterChannels !== undefined ? { masterChannels } : {}),
      ...(scope !== undefined ? { scope } : {}),
      ...(expiresInSeconds !== undefined ? { expiresInSeconds } : {}),
    },
  };
}

/**
 * Asks the local issuer's token endpoint (`POST {issuer}/_local/tokens`) for a token, waiting
 * at most 5 s. Throws an `Error` saying whether the issuer was unreachable or refused (its message).
 */
export async function requestToken(issuer: string, request: MintRequest): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}${TOKENS_PATH}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(5_000),
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(
      `could not reach the local issuer at ${url} (is npm start -- -c auth=jwt running?): ${detail}`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; message?: unknown };
  if (response.ok && typeof body.token === 'string') return body.token;
  throw new Error(
    `the local issuer refused: ${typeof body.message === 'string' ? body.message : `HTTP ${response.status}`}`,
  );
}
