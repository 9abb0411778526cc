import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The files a fresh Node.js process has loaded (`require.cache`, under tsx as `npm start` runs)
 * once `script` (CommonJS, run from the repository's root, may `await`) has run: what a module
 * costs at init is what it loads.
 */
export function loadedModules(script: string): Promise<string[]> {
  const program = `(async () => { ${script}\n})().then(() => {
    process.stdout.write(JSON.stringify(Object.keys(require.cache)));
    process.exit(0);
  });`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=commonjs', '-e', program],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT' } },
      (error, stdout) => (error ? reject(error) : resolve(JSON.parse(stdout) as string[])),
    );
  });
}
