import { join } from 'node:path';
import { bundle } from './build';

const SERVERS_DIR = join(__dirname, '..', 'servers');
const bundles = new Map<string, Promise<string>>();

/**
 * `bench/servers/<script>.ts` bundled like the deployed function (once per run), so the server
 * runs as plain JavaScript: under tsx its memory would include the TypeScript loader (about
 * 40 MB) and its start the transpiling. aws-cdk-lib stays external: the local runner reaches it
 * through the CORS settings it shares with the CDK construct (lib/cors.ts); bundled, its lazily
 * loading index would become 40 MB of eagerly run code (about 250 MB more RSS) that the deployed
 * function never loads; so does dynalite, whose LevelDB binding is found from its package's
 * directory. Run it with `NODE_PATH` set to the project's node_modules.
 */
export function serverBundle(script: 'broker' | 'constant' | 'instance' | 'handler-cost'): Promise<string> {
  let file = bundles.get(script);
  if (!file) {
    const options = {
      sourcemap: false,
      target: `node${process.versions.node.split('.')[0]}`,
      // dynalite (the local fleet's DynamoDB) loads LevelDB's native binding from its package.
      external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', 'dynalite'],
    };
    file = bundle(join(SERVERS_DIR, `${script}.ts`), `server-${script}`, options).then((built) => built.file);
    bundles.set(script, file);
  }
  return file;
}
