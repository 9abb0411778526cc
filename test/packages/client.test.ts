import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../packages/client/build';
import { cleanEnv, installInFreshApp, npm, packWorkspace, type Scratch } from '../support/packed';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const PACKAGE = '@kvs-ice-broker/client';
const EXPORTS = [
  'IceServerClient',
  'IceServerError',
  'SignalingConnector',
  'keepIceServersFresh',
  'rtcConfiguration',
];
/** npm, a TypeScript 5 install and type checks in a fresh folder, on a busy machine. */
const TIMEOUT_MS = 240_000;

let packed: Awaited<ReturnType<typeof packWorkspace>>;
let app: Scratch;
const installed = () => join(app.dir, 'node_modules', ...PACKAGE.split('/'));

beforeAll(async () => {
  packed = await packWorkspace('packages/client', buildClient);
  app = await installInFreshApp([packed.tarball]);
}, TIMEOUT_MS);
afterAll(async () => {
  await app?.remove();
  await packed?.remove();
});

/** Plain Node in the app folder, where the package resolves as an app sees it. */
async function node(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: app.dir, env: cleanEnv(), timeout: 30_000 });
  return stdout.trim();
}

describe(`${PACKAGE} installed from its packed tarball in a fresh app`, { timeout: TIMEOUT_MS }, () => {
  it('brings exactly one package: no aws-cdk-lib, no AWS SDK, no optional peer unless asked for', async () => {
    const tree = JSON.parse(await npm(['ls', '--all', '--json'], app.dir)) as {
      dependencies?: Record<string, { dependencies?: object }>;
    };
    const folders = (await readdir(join(app.dir, 'node_modules'))).filter((name) => !name.startsWith('.'));

    expect(Object.keys(tree.dependencies ?? {})).toEqual([PACKAGE]);
    // npm lists the optional peer it did not install as an empty entry ("UNMET OPTIONAL DEPENDENCY").
    expect(tree.dependencies?.[PACKAGE]?.dependencies).toEqual({ aws4fetch: {} });
    expect(folders).toEqual(['@kvs-ice-broker']);
    expect(await readdir(join(app.dir, 'node_modules', '@kvs-ice-broker'))).toEqual(['client']);
  });

  it('imports as an ES module in Node', async () => {
    const names = await node([
      '--input-type=module',
      '-e',
      `const m = await import('${PACKAGE}'); console.log(Object.keys(m).sort().join(','))`,
    ]);

    expect(names.split(',')).toEqual(expect.arrayContaining(EXPORTS));
  });

  it('requires as CommonJS in Node, and gets a working client', async () => {
    const out = await node([
      '-e',
      `const { IceServerClient, IceServerError } = require('${PACKAGE}');
       const client = new IceServerClient({ baseUrl: 'http://127.0.0.1:9', channel: 'demo', retry: { maxAttempts: 1 } });
       client.getIceServers().catch((e) => console.log(e instanceof IceServerError, e.code));`,
    ]);

    expect(out).toBe('true NetworkError');
  });

  it('serves the wire contract at its subpath, in both formats', async () => {
    const esm = await node([
      '--input-type=module',
      '-e',
      `const c = await import('${PACKAGE}/contract'); console.log(c.ICE_SERVERS_ROUTE_PATH)`,
    ]);
    const cjs = await node([
      '-e',
      `console.log(require('${PACKAGE}/contract').transportOf('turns:h:443?transport=tcp'))`,
    ]);

    expect([esm, cjs]).toEqual(['/v1/channels/{channel}/ice-servers', 'tls']);
  });

  it('says what to install when iam mode needs its optional SigV4 signer (aws4fetch)', async () => {
    const out = await node([
      '-e',
      `const { IceServerClient } = require('${PACKAGE}');
       const client = new IceServerClient({ baseUrl: 'https://api.example.com', channel: 'demo', retry: { maxAttempts: 1 },
         aws: { region: 'us-west-2', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } } });
       client.getIceServers().catch((e) => console.log(e.code, e.message));`,
    ]);

    expect(out).toMatch(/^CredentialsError .*aws4fetch/);
  });

  // React Native's JavaScript engine has fetch, timers, URL and AbortController, but neither Node's
  // modules nor a DOM: the library must load there and make a client without touching either.
  it('loads with no Node built-in and no DOM, as in React Native, and makes a client', async () => {
    const [cjs, esm] = await Promise.all(
      ['index.cjs', 'index.mjs'].map((file) => readFile(join(installed(), 'dist', file), 'utf8')),
    );
    const module = { exports: {} as Record<string, unknown> };
    const globals = {
      fetch,
      setTimeout,
      clearTimeout,
      URL,
      URLSearchParams,
      AbortController,
      AbortSignal,
      TextEncoder,
      console,
    };

    runInNewContext(cjs ?? '', { ...globals, module, exports: module.exports });
    const Client = module.exports.IceServerClient as new (options: object) => object;

    for (const code of [cjs, esm])
      expect(code).not.toMatch(/require\(["']node:|from ["']node:|import\(["']node:/);
    expect(new Client({ baseUrl: 'https://api.example.com', channel: 'demo' })).toBeTruthy();
  });

  // The app's own TypeScript resolves the types: TypeScript 5 (the last with moduleResolution
  // `node`, still common) and this repository's TypeScript 7.
  it('type-checks a consumer with moduleResolution node, node16 and bundler (TypeScript 5), and node16 and bundler (TypeScript 7)', async () => {
    await npm(
      ['install', '--no-save', '--no-audit', '--no-fund', '--prefer-offline', 'typescript@5.9.3'],
      app.dir,
    );
    const consumer = [
      `import { IceServerClient, type IceServers, IceServerError } from '${PACKAGE}';`,
      `import { ICE_SERVERS_ROUTE_PATH, type Transport } from '${PACKAGE}/contract';`,
      "const client = new IceServerClient({ baseUrl: 'https://api.example.com', channel: 'demo', transports: ['udp'] });",
      'export const servers: Promise<IceServers> = client.getIceServers();',
      'export const code = (e: IceServerError): string => e.code + String(e.status);',
      "export const route: string = ICE_SERVERS_ROUTE_PATH; export const tls: Transport = 'tls';",
    ].join('\n');
    await writeFile(join(app.dir, 'consumer.ts'), consumer);
    await writeFile(join(app.dir, 'consumer.mts'), consumer);
    const compile = (tsc: string, file: string, module: string, resolution: string) =>
      run(
        process.execPath,
        [
          tsc,
          file,
          '--noEmit',
          '--strict',
          '--module',
          module,
          '--moduleResolution',
          resolution,
          '--target',
          'es2022',
          '--lib',
          'es2023,dom',
        ],
        { cwd: app.dir, env: cleanEnv() },
      ).then(
        () => 'ok',
        (error: { stdout?: string }) => error.stdout ?? 'failed',
      );
    const ts5 = join(app.dir, 'node_modules', 'typescript', 'bin', 'tsc');
    const ts7 = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

    const results = {
      'ts5 node (CommonJS)': await compile(ts5, 'consumer.ts', 'commonjs', 'node'),
      'ts5 node16 (CommonJS)': await compile(ts5, 'consumer.ts', 'node16', 'node16'),
      'ts5 node16 (ESM)': await compile(ts5, 'consumer.mts', 'node16', 'node16'),
      'ts5 bundler': await compile(ts5, 'consumer.ts', 'esnext', 'bundler'),
      'ts7 node16 (ESM)': await compile(ts7, 'consumer.mts', 'node16', 'node16'),
      'ts7 bundler': await compile(ts7, 'consumer.ts', 'preserve', 'bundler'),
    };

    expect(results).toEqual(Object.fromEntries(Object.keys(results).map((key) => [key, 'ok'])));
  });

  it('passes publint and Are The Types Wrong (attw) without a problem', async () => {
    const publint = await run(
      process.execPath,
      [join(ROOT, 'node_modules', 'publint', 'src', 'cli.js'), installed(), '--strict'],
      {
        env: cleanEnv(),
      },
    );
    const attw = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js'),
        packed.tarball,
        '--format',
        'json',
      ],
      { env: cleanEnv() },
    ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '{}' }));
    const report = JSON.parse(attw.stdout) as { analysis?: { problems?: unknown[] } };

    expect(publint.stdout).toContain('All good!');
    expect(report.analysis?.problems).toEqual([]);
  });
});
