import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AwsCredentials } from '@kvs-ice-broker/client';
import { runCheck } from './check';
import { AnswerValidator } from './openapi';
import { jsonReport, textReport } from './report';

/** `kvs-ice-broker --help`. */
export const USAGE = `Usage: kvs-ice-broker check --url <ApiUrl> --channel <name> [--token <jwt> | --iam] [options]
       (installed: npx --no-install kvs-ice-broker check …; in a clone: npm run check -- …)

Calls POST <ApiUrl>/v1/channels/<name>/ice-servers, checks the answer against the API's OpenAPI
document (shipped with this command), then performs a real TURN Allocate with the returned credentials on every TURN URI (UDP, TCP, TLS;
DTLS is reported "not checked"), releasing each allocation at once. Exit code 0 when everything
passed, 1 when a check failed (each failure with its reason), 2 on a usage error.

  --url <url>        the API's base URL: the stack's ApiUrl output, or http://127.0.0.1:8080 locally
  --channel <name>   the signaling channel to ask for
  --token <jwt>      auth=jwt: the bearer token (or set KVS_ICE_BROKER_TOKEN, which keeps it out
                     of the shell history and the process list)
  --iam              auth=iam: sign with SigV4 using your AWS credentials (AWS_PROFILE, SSO,
                     environment keys), for the Region in the URL, --region or AWS_REGION
  --region <region>  the API's Region for --iam when the URL does not show it
  --timeout <ms>     per step: the API call, and each TURN Allocate (default 5000)
  --ca <pem file>    also trust these certificates for TLS to the relays (a local relay's CA;
                     npm start prints its path)
  --json             print the report as JSON (stable keys: ok, url, channel, api, ttl, uris)
  -h, --help         this text`;

/** Where the CLI writes and what it reads from its environment. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

class UsageError extends Error {}

const DEFAULT_TIMEOUT_MS = 5000;

/** The Region of an API Gateway URL (`https://<id>.execute-api.<region>.amazonaws.com[.cn]`). */
function regionOfUrl(url: string): string | undefined {
  const host = URL.canParse(url) ? new URL(url).hostname : '';
  return /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

/** The default AWS credential chain, as the AWS CLI resolves it (loaded only for --iam). */
async function awsCredentials(region: string): Promise<() => Promise<AwsCredentials>> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const provider = defaultProvider({ clientConfig: { region } });
  return () => provider();
}

/**
 * Runs `kvs-ice-broker <argv>` and resolves with the exit code: 0 passed, 1 failed, 2 usage error.
 * Writes the report (text or `--json`) to stdout, usage errors to stderr; never prints a token or
 * a TURN credential.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        channel: { type: 'string' },
        token: { type: 'string' },
        iam: { type: 'boolean' },
        region: { type: 'string' },
        timeout: { type: 'string' },
        ca: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] !== 'check')
      throw new UsageError(`expected the command "check", got "${positionals.join(' ')}"`);
    const { url, channel } = values;
    if (url === undefined) throw new UsageError('--url is required (the ApiUrl output of the stack)');
    if (channel === undefined) throw new UsageError('--channel is required');
    const token = values.token ?? io.env.KVS_ICE_BROKER_TOKEN;
    if (token !== undefined && values.iam)
      throw new UsageError('give --token (auth=jwt) or --iam (auth=iam), not both');
    const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : Number(values.timeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 600_000)
      throw new UsageError(
        `--timeout must be whole milliseconds from 100 to 600000, got "${values.timeout}"`,
      );
    let ca: Buffer | undefined;
    if (values.ca !== undefined) {
      try {
        ca = readFileSync(values.ca);
      } catch (error) {
        throw new UsageError(`--ca: cannot read ${values.ca} (${(error as NodeJS.ErrnoException).code})`);
      }
    }
    let iam: { credentials: () => Promise<AwsCredentials>; region: string } | undefined;
    if (values.iam) {
      const region = values.region ?? regionOfUrl(url) ?? io.env.AWS_REGION;
      if (!region) throw new UsageError('--iam needs the Region: give --region (the URL does not show it)');
      iam = { credentials: await awsCredentials(region), region };
    }
    const report = await runCheck({
      url,
      channel,
      ...(token !== undefined ? { token } : {}),
      ...(iam !== undefined ? { iam } : {}),
      timeoutMs,
      ...(ca !== undefined ? { ca } : {}),
      validator: new AnswerValidator(),
    });
    io.stdout(values.json ? jsonReport(report) : textReport(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`kvs-ice-broker: ${(error as Error).message}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof TypeError && error.message.startsWith('IceServerClient:')) {
      const message = error.message
        .replace('IceServerClient: baseUrl', '--url')
        .replace('IceServerClient: ', '--');
      io.stderr(`kvs-ice-broker: ${message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The process around {@link runCli}: argv in, report out, the exit code as the process's. */
export function cliMain(): void {
  runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  }).then(
    // Exit at once: a TURN transaction that timed out may still hold a retransmission timer.
    (code) => process.stdout.write('', () => process.exit(code)),
    (error: unknown) => {
      process.stderr.write(`kvs-ice-broker: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) cliMain();
