import { execFile } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';

/**
 * `npm run build:client` (also run by `npm install` as `prepare`): builds `kvs-ice-broker/client`
 * into `client/dist/`, what the package.json `exports` map points at:
 * - `index.mjs`: ES module, for browsers (through a bundler or `<script type="module">`) and Node's `import`;
 * - `index.cjs`: CommonJS, for Node's `require`;
 * - `types/client/index.d.ts`: declarations (tsc), with the wire types they use from `lambda/`.
 * Neither bundle is minified (bench `browser` prints the minified size); `aws4fetch`, loaded only
 * for SigV4, stays an import of the package's dependency.
 */

const ROOT = join(__dirname, '..');
/** Where the package's `exports` point. */
export const CLIENT_DIST = join(ROOT, 'client', 'dist');

/** esbuild options of both bundles; the bench measures the library's size with the same ones, minified. */
export const CLIENT_BUILD_OPTIONS = {
  entryPoints: [join(ROOT, 'client', 'index.ts')],
  bundle: true,
  platform: 'neutral',
  target: 'es2022',
  external: ['aws4fetch'],
  sourcemap: true,
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** Builds the ESM and CJS bundles and the declarations into `outDir` (default {@link CLIENT_DIST}), emptied first. */
export async function buildClient(outDir: string = CLIENT_DIST): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const declarations = promisify(execFile)(
    process.execPath,
    [
      tsc,
      join(ROOT, 'client', 'index.ts'),
      '--ignoreConfig',
      '--declaration',
      '--emitDeclarationOnly',
      '--rootDir',
      ROOT,
      '--outDir',
      join(outDir, 'types'),
      '--target',
      'ES2022',
      '--lib',
      'ES2023,DOM',
      '--module',
      'preserve',
      '--moduleResolution',
      'bundler',
      '--strict',
      '--skipLibCheck',
      '--types',
      '',
    ],
    { cwd: ROOT },
  ).catch(async (error: { stdout?: string; message: string }) => {
    const diagnostics = error.stdout || error.message;
    // tsc writes declarations despite type errors (npm run typecheck reports those); fail only without them.
    const written = await stat(join(outDir, 'types', 'client', 'index.d.ts')).then(
      () => true,
      () => false,
    );
    if (!written) throw new Error(`tsc could not emit the client's declarations:\n${diagnostics}`);
    console.warn(`build:client: declarations written despite type errors:\n${diagnostics}`);
  });
  await Promise.all([
    build({ ...CLIENT_BUILD_OPTIONS, format: 'esm', outfile: join(outDir, 'index.mjs') }),
    build({ ...CLIENT_BUILD_OPTIONS, format: 'cjs', outfile: join(outDir, 'index.cjs') }),
    declarations,
  ]);
}

if (require.main === module) {
  const outDir = process.argv[2];
  buildClient(outDir ? resolve(outDir) : undefined).catch((error: unknown) => {
    console.error(`build:client: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
