import { readFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type DemoOptions, demoPages } from '../../local/demo/server';
import { closeServer, listen } from '../../local/http-server';

const PAGES_DIR = join(__dirname, '..', 'pages');

/** The pages the first-frame benchmark opens, on an origin of their own (as an app's pages are). */
export interface PageServer {
  /** `http://127.0.0.1:PORT`: the origin of both viewers' pages. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The baseline page's headers: scripts and styles from this origin only; calls to loopback only
 * (the emulator's KVS endpoints, its signaling WebSocket).
 */
const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src http://127.0.0.1:* ws://127.0.0.1:* wss://127.0.0.1:*; img-src 'self' data:; base-uri 'none'; form-action 'none'",
};

/** The baseline page's script with the AWS SDK for JavaScript v3, bundled for the browser. */
async function bundleKeysViewer(): Promise<string> {
  const result = await build({
    entryPoints: [join(PAGES_DIR, 'keys-viewer.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no keys-viewer script');
  return output.text;
}

function send(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, { ...HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Serves, on 127.0.0.1, the demo's pages (local/demo/server.ts, unchanged: `/demo/signaling` is
 * the broker's viewer) and the first-frame baseline at `/bench/keys-viewer` (the same viewer,
 * holding AWS keys). Both pages then call their APIs across origins, with CORS preflights, as a
 * web app's pages do: the broker's API (which must allow this origin) or KVS.
 */
export async function startPageServer(demo: DemoOptions): Promise<PageServer> {
  const pages = demoPages(demo);
  let script: Promise<string> | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const answer = async () => {
      if (path === '/bench/keys-viewer') {
        return send(
          res,
          'text/html; charset=utf-8',
          await readFile(join(PAGES_DIR, 'keys-viewer.html'), 'utf8'),
        );
      }
      if (path === '/bench/keys-viewer.js') {
        script ??= bundleKeysViewer();
        return send(res, 'text/javascript; charset=utf-8', await script);
      }
      if (await pages(req, res, path)) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    };
    answer().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`page server: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  const port = await listen(server, 0);
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}
