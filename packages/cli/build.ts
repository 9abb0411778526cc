import { chmod, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * `npm run build -w @kvs-ice-broker/cli` (also run by `npm ci` at the root, and before `npm pack`):
 * bundles the command into one CommonJS file, `dist/kvs-ice-broker.cjs` (the package's `bin`), with
 * everything it needs but its declared dependencies: the client library, Ajv and the API's OpenAPI
 * document (docs/openapi.json) are inside it, so an installed tarball runs with no dev dependency
 * and no clone. werift (the TURN client) and the AWS credential chain (`--iam`) stay dependencies.
 */
const PACKAGE = __dirname;
/** Where the package's `bin` points. */
export const CLI_DIST = join(PACKAGE, 'dist');

/** Builds the command into `outDir` (default {@link CLI_DIST}), emptied first. */
export async function buildCli(outDir: string = CLI_DIST): Promise<void> {
  const outfile = join(outDir, 'kvs-ice-broker.cjs');
  await rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: [join(PACKAGE, 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: ['werift', '@aws-sdk/credential-provider-node'],
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
}

if (require.main === module) {
  const outDir = process.argv[2];
  buildCli(outDir ? resolve(outDir) : undefined).catch((error: unknown) => {
    console.error(`build: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
