import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';

/**
 * esbuild options of the deployed function, as the CDK's NodejsFunction passes them
 * (lib/ice-broker.ts: `format: CJS`, `mainFields: ['module', 'main']`, `minify`, `sourceMap`,
 * `sourcesContent: false`, nothing external, target node24 for the Node.js 24 runtime).
 */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  mainFields: ['module', 'main'],
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'silent',
} as const satisfies BuildOptions;

let dir: string | undefined;

/** A private temporary directory for this process's bundles, removed when the process exits. */
function workDir(): string {
  if (!dir) {
    const created = mkdtempSync(join(tmpdir(), 'kvs-ice-broker-bench-'));
    process.on('exit', () => rmSync(created, { recursive: true, force: true }));
    dir = created;
  }
  return dir;
}

export interface Bundle {
  readonly file: string;
  readonly metafile: Metafile;
}

/** Bundles `entry` (absolute path) into the work directory as `<name>.js` with the function's options. */
export async function bundle(entry: string, name: string, overrides: BuildOptions = {}): Promise<Bundle> {
  const file = join(workDir(), `${name}.js`);
  const result = await build({
    ...LAMBDA_BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: file,
    metafile: true,
    ...overrides,
  });
  if (!result.metafile) throw new Error(`esbuild wrote no metafile for ${entry}`);
  return { file, metafile: result.metafile };
}
