import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildClient, CLIENT_DIST } from '../../client/build';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const EXPORTS = ['IceServerClient', 'IceServerError', 'keepIceServersFresh', 'rtcConfiguration'];

/** Runs `code` with plain Node from the package root, where `kvs-ice-broker/client` resolves through the exports map. */
async function node(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: ROOT, timeout: 30_000 });
  return stdout.trim();
}

describe('the package entry kvs-ice-broker/client, as users import it', () => {
  beforeAll(async () => {
    await buildClient();
  }, 60_000);

  it('imports as an ES module in plain Node', async () => {
    const names = await node([
      '--input-type=module',
      '-e',
      "const m = await import('kvs-ice-broker/client'); console.log(Object.keys(m).sort().join(','))",
    ]);

    expect(names.split(',')).toEqual(expect.arrayContaining(EXPORTS));
  });

  it('requires as CommonJS in plain Node, and gets a working client', async () => {
    const out = await node([
      '-e',
      `const { IceServerClient, IceServerError } = require('kvs-ice-broker/client');
       const client = new IceServerClient({ baseUrl: 'http://127.0.0.1:9', channel: 'demo', retry: { maxAttempts: 1 } });
       client.getIceServers().catch((e) => console.log(e instanceof IceServerError, e.code));`,
    ]);

    expect(out).toBe('true NetworkError');
  });

  it('type-checks a TypeScript consumer against the declarations the exports map names', async () => {
    const dir = await mkdtemp(join(ROOT, 'test', 'client', '.consumer-'));
    try {
      const file = join(dir, 'consumer.ts');
      await writeFile(
        file,
        [
          "import { IceServerClient, type IceServers, IceServerError } from 'kvs-ice-broker/client';",
          "const client = new IceServerClient({ baseUrl: 'https://api.example.com', channel: 'demo', transports: ['udp'] });",
          'export const servers: Promise<IceServers> = client.getIceServers();',
          'export const code = (e: IceServerError): string => e.code + String(e.status);',
        ].join('\n'),
      );
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const args = [
        tsc,
        file,
        '--ignoreConfig',
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--lib',
        'es2023,dom',
        '--types',
        '',
      ];

      const result = await run(process.execPath, args, { cwd: ROOT }).then(
        () => 'ok',
        (error: { stdout?: string }) => error.stdout ?? 'failed',
      );

      expect(result).toBe('ok');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the SigV4 signer out of the bundles: it is loaded only in iam mode', async () => {
    const { readFile } = await import('node:fs/promises');
    const esm = await readFile(join(CLIENT_DIST, 'index.mjs'), 'utf8');

    expect(esm).toContain('await import("aws4fetch")');
    expect(esm).not.toMatch(/^import .*aws4fetch/m);
  });

  it('ships the built entry files in the package an app installs (npm pack), not only in this clone', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    const [packed] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const paths = (packed?.files ?? []).map((file) => file.path);

    expect(paths).toEqual(
      expect.arrayContaining([
        'client/dist/index.mjs',
        'client/dist/index.cjs',
        'client/dist/types/client/index.d.ts',
      ]),
    );
  });
});
