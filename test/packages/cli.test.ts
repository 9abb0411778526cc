import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/runner';
import { buildCli } from '../../packages/cli/build';
import { cleanEnv, installInFreshApp, packWorkspace, type Scratch } from '../support/packed';
import { requirements, TOOLS } from '../support/requirements';

const run = promisify(execFile);
/** npm installing the command's dependencies from the registry (or its cache), on a busy machine. */
const TIMEOUT_MS = 300_000;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npx --no-install kvs-ice-broker <args>` in `cwd`, as the docs tell ops to run it: never from the registry. */
function npx(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  return run('npx', ['--no-install', 'kvs-ice-broker', ...args], {
    cwd,
    env: cleanEnv(env),
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe('@kvs-ice-broker/cli installed from its packed tarball in a fresh folder', {
  timeout: TIMEOUT_MS,
}, () => {
  let packed: Awaited<ReturnType<typeof packWorkspace>>;
  let app: Scratch;
  beforeAll(async () => {
    packed = await packWorkspace('packages/cli', buildCli);
    app = await installInFreshApp([packed.tarball]);
  }, TIMEOUT_MS);
  afterAll(async () => {
    await app?.remove();
    await packed?.remove();
  });

  it('runs `npx --no-install kvs-ice-broker --help` and exits 0', async () => {
    const { code, stdout } = await npx(app.dir, ['--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('Usage: kvs-ice-broker check --url <ApiUrl> --channel <name>');
  });

  it("brings none of the repository's dev dependencies (no TypeScript, tsx, esbuild, vitest, CDK)", async () => {
    const installed = await readdir(join(app.dir, 'node_modules'));

    for (const dev of ['typescript', 'tsx', 'esbuild', 'vitest', 'aws-cdk-lib', '@kvs-ice-broker/client'])
      expect(installed).not.toContain(dev);
  });

  it('is never fetched from the registry where it is not installed: npx --no-install refuses', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'kvs-no-cli-'));
    try {
      const { code } = await npx(empty, ['--help']);

      expect(code).not.toBe(0);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  const relay = requirements(TOOLS.turnserver);
  it(
    relay.missing
      ? `checks the local runner (${relay.missing})`
      : 'checks the local runner with coturn: exit 0, every TURN URI allocated, the token taken from KVS_ICE_BROKER_TOKEN',
    relay.options,
    async () => {
      const stack = await startLocalStack({
        port: 0,
        channels: ['demo'],
        auth: { mode: 'jwt' },
        env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
      });
      try {
        const token = (await stack.auth.mintToken?.({ sub: 'ops-smoke-check' })) ?? '';
        const args = [
          'check',
          '--url',
          stack.api.url,
          '--channel',
          'demo',
          '--ca',
          stack.coturn?.caFile ?? '',
          '--json',
        ];

        const { code, stdout } = await npx(app.dir, args, { KVS_ICE_BROKER_TOKEN: token });
        const report = JSON.parse(stdout) as {
          ok: boolean;
          api: { contract: string };
          uris: { result: string }[];
        };

        expect(code).toBe(0);
        expect(report.ok).toBe(true);
        expect(report.api.contract).toBe('valid');
        expect(report.uris.filter((uri) => uri.result === 'ok').length).toBeGreaterThanOrEqual(2);
        expect(stdout).not.toContain(token);
      } finally {
        await stack.close();
      }
    },
  );
});
