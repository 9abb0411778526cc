import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/** The environment without npm's own `npm_*` settings of the `npm test` around the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, ...extra };
}

/** `npm <args>` in `cwd`, as a user runs it; resolves with its stdout. */
export async function npm(args: readonly string[], cwd: string, timeoutMs = 180_000): Promise<string> {
  const { stdout } = await run('npm', [...args], { cwd, env: cleanEnv(), timeout: timeoutMs });
  return stdout;
}

/** A folder of the test's, removed with `remove()`. */
export interface Scratch {
  readonly dir: string;
  remove(): Promise<void>;
}

async function scratch(prefix: string): Promise<Scratch> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The tarball `npm pack` makes of a workspace (`packages/client`, `packages/cli`), built by
 * `build` into a copy of the workspace's manifest, so that tests never empty the `dist/` other
 * tests read. npm picks the files as for a publish (`files`, README, LICENSE).
 */
export async function packWorkspace(
  workspace: string,
  build: (outDir: string) => Promise<void>,
): Promise<Scratch & { tarball: string }> {
  const copy = await scratch('kvs-pack-');
  try {
    for (const file of ['package.json', 'README.md', 'LICENSE']) {
      await copyFile(join(ROOT, workspace, file), join(copy.dir, file)).catch(
        (error: NodeJS.ErrnoException) => {
          if (file === 'package.json' || error.code !== 'ENOENT') throw error;
        },
      );
    }
    await build(join(copy.dir, 'dist'));
    const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', copy.dir], copy.dir);
    const [packed] = JSON.parse(out) as { filename: string }[];
    if (!packed) throw new Error(`npm pack made no tarball of ${workspace}`);
    return { ...copy, tarball: join(copy.dir, packed.filename) };
  } catch (error) {
    await copy.remove();
    throw error;
  }
}

/** A new app folder (a bare package.json) that installed `tarballs` as a user does: `npm install <tarball>`. */
export async function installInFreshApp(tarballs: readonly string[]): Promise<Scratch> {
  const app = await scratch('kvs-fresh-app-');
  try {
    await writeFile(
      join(app.dir, 'package.json'),
      `${JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true }, null, 2)}\n`,
    );
    await npm(['install', ...tarballs, '--no-audit', '--no-fund', '--prefer-offline'], app.dir);
    return app;
  } catch (error) {
    await app.remove();
    throw error;
  }
}
