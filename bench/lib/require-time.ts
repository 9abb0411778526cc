import { execFile } from 'node:child_process';

/** Requires the module named by argv[1] and prints the milliseconds it took. */
const PROBE = `
const started = process.hrtime.bigint();
require(process.argv[1]);
process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));
process.exit(0);
`;

/**
 * Milliseconds a fresh `node` takes to `require()` a bundle (module init, as in a cold start),
 * with `--enable-source-maps` as the deployed function runs, and only `env` (plus PATH) as environment.
 */
export function requireTime(file: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', '-e', PROBE, file],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const ms = Number(stdout);
        if (error || !Number.isFinite(ms) || stdout === '') {
          reject(new Error(`requiring ${file} failed: ${error?.message ?? ''}\n${stderr.slice(-2000)}`));
        } else resolve(ms);
      },
    );
  });
}
