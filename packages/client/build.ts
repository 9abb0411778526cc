import { execFile } from 'node:child_process';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';

/**
 * `npm run build -w @kvs-ice-broker/client` (also run by `npm ci` at the root, and before
 * `npm pack`): builds the package into `dist/`, what its `exports` map points at, one file per
 * entry (`index`, `contract`) and format:
 * - `<entry>.mjs`: ES module, for browsers (through a bundler or `<script type="module">`),
 *   React Native's bundler and Node's `import`;
 * - `<entry>.cjs`: CommonJS, for Node's `require`;
 * - `<entry>.d.mts` / `<entry>.d.cts`: the declarations for each (tsc writes them once, in
 *   `types/`; the two small files re-export them in the format TypeScript expects for each).
 * Neither bundle is minified (bench `browser` prints the minified size); `aws4fetch`, loaded only
 * for SigV4, stays an import of the optional peer dependency.
 */

const PACKAGE = __dirname;
/** Where the package's `exports` point. */
export const CLIENT_DIST = join(PACKAGE, 'dist');
/** The package's entry points, as its `exports` name them. */
const ENTRIES = ['index', 'contract'] as const;

/** The library's main entry point (`@kvs-ice-broker/client`). */
export const CLIENT_ENTRY = join(PACKAGE, 'src', 'index.ts');

/** esbuild options of every bundle; the bench measures the library's size with the same ones, minified. */
export const CLIENT_BUILD_OPTIONS = {
  bundle: true,
  platform: 'neutral',
  target: 'es2022',
  external: ['aws4fetch'],
  sourcemap: true,
  logLevel: 'warning',
} as const satisfies BuildOptions;

/** tsc's declarations of `src/` into `outDir` (type errors are `npm run typecheck`'s to report). */
async function declarations(outDir: string): Promise<void> {
  const tsc = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');
  const args = [
    '-p',
    join(PACKAGE, 'tsconfig.json'),
    '--noEmit',
    'false',
    '--declaration',
    '--rootDir',
    join(PACKAGE, 'src'),
  ];
  await promisify(execFile)(process.execPath, [tsc, ...args, '--emitDeclarationOnly', '--outDir', outDir], {
    cwd: PACKAGE,
  }).catch(async (error: { stdout?: string; message: string }) => {
    const written = await stat(join(outDir, 'index.d.ts')).then(
      () => true,
      () => false,
    );
    if (!written) throw new Error(`tsc could not emit the declarations:\n${error.stdout || error.message}`);
  });
}

/** Builds the ESM and CJS bundles and the declarations into `outDir` (default {@link CLIENT_DIST}), emptied first. */
export async function buildClient(outDir: string = CLIENT_DIST): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const bundles = (['esm', 'cjs'] as const).map((format) =>
    build({
      ...CLIENT_BUILD_OPTIONS,
      entryPoints: ENTRIES.map((entry) => join(PACKAGE, 'src', `${entry}.ts`)),
      format,
      outdir: outDir,
      outExtension: { '.js': format === 'esm' ? '.mjs' : '.cjs' },
    }),
  );
  const typings = declarations(join(outDir, 'types')).then(() =>
    Promise.all(
      ENTRIES.flatMap((entry) => [
        writeFile(join(outDir, `${entry}.d.mts`), `export * from './types/${entry}.js';\n`),
        writeFile(join(outDir, `${entry}.d.cts`), `export * from './types/${entry}';\n`),
      ]),
    ),
  );
  await Promise.all([...bundles, typings]);
}

if (require.main === module) {
  const outDir = process.argv[2];
  buildClient(outDir ? resolve(outDir) : undefined).catch((error: unknown) => {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
