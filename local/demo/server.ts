import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AuthMode } from '../../lambda/contract';

/** What the /demo page needs to know about the local API (written into the page; nothing secret). */
export interface DemoOptions {
  /** The served channels, offered in the page's channel list. */
  readonly channels: readonly string[];
  readonly authMode: AuthMode;
  /** `iam`: the Region the page signs for. */
  readonly region?: string;
  /** The local CA certificate (PEM) that browsers must trust for `turns:`, when the relay runs. */
  readonly caFile?: string;
}

/**
 * Serves what is not the API on the local API's port: `true` when it answered the request.
 * The deployed API has no such pages.
 */
export type SitePages = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

const DIR = __dirname;
/**
 * The demo's own headers: nothing but this origin may load scripts, styles or be called, besides
 * the local KVS signaling service's WebSocket on loopback (the /demo/signaling page).
 */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws://127.0.0.1:* wss://127.0.0.1:*; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** A page's script (`demo.ts`, `signaling.ts`) with the client library, bundled for the browser by esbuild. */
async function bundleScript(entry = 'demo.ts'): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(DIR, entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no demo script');
  return output.text;
}

/** JSON that can sit inside a `<script>` element: `<` is escaped, so no `</script>` can end it. */
const scriptJson = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c');

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
  });
  res.end(head ? undefined : body);
}

/**
 * The demo at `/demo`: the page, `/demo/demo.js` (bundled on first request, then kept) and
 * `/demo/demo.css`, for `GET` and `HEAD`; other methods get 405. Other paths are not its own.
 */
export function demoPages(options: DemoOptions): SitePages {
  let script: Promise<string> | undefined;
  let page: Promise<string> | undefined;
  let signalingPage: Promise<string> | undefined;
  let signalingScript: Promise<string> | undefined;
  const config = {
    channels: options.channels,
    authMode: options.authMode,
    ...(options.region ? { region: options.region } : {}),
    ...(options.caFile ? { caFile: options.caFile } : {}),
  };
  const files = new Map<string, { type: string; body: () => Promise<string> }>(
    Object.entries({
      '/demo': {
        type: 'text/html; charset=utf-8',
        body: () => {
          page ??= readFile(join(DIR, 'index.html'), 'utf8').then((html) =>
            html.replace('id="demo-config">null<', `id="demo-config">${scriptJson(config)}<`),
          );
          return page;
        },
      },
      '/demo/demo.js': {
        type: 'text/javascript; charset=utf-8',
        body: () => {
          script ??= bundleScript().catch((error: unknown) => {
            script = undefined;
            throw error;
          });
          return script;
        },
      },
      // The master/viewer page: the official KVS WebRTC SDK (its dist build) and the client library.
      '/demo/signaling': {
        type: 'text/html; charset=utf-8',
        body: () => {
          signalingPage ??= readFile(join(DIR, 'signaling.html'), 'utf8').then((html) =>
            html.replace('id="demo-config">null<', `id="demo-config">${scriptJson(config)}<`),
          );
          return signalingPage;
        },
      },
      '/demo/signaling.js': {
        type: 'text/javascript; charset=utf-8',
        body: () => {
          signalingScript ??= bundleScript('signaling.ts').catch((error: unknown) => {
            signalingScript = undefined;
            throw error;
          });
          return signalingScript;
        },
      },
      '/demo/kvs-webrtc.js': {
        type: 'text/javascript; charset=utf-8',
        body: () =>
          readFile(require.resolve('amazon-kinesis-video-streams-webrtc/dist/kvs-webrtc.min.js'), 'utf8'),
      },
      '/demo/demo.css': {
        type: 'text/css; charset=utf-8',
        body: () => readFile(join(DIR, 'demo.css'), 'utf8'),
      },
    }),
  );
  return async (req, res, path) => {
    const file = files.get(path === '/demo/' ? '/demo' : path);
    if (!file) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('Method Not Allowed');
      return true;
    }
    try {
      send(res, 200, file.type, await file.body(), req.method === 'HEAD');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      console.error(`demo: could not serve ${path}: ${reason}`);
      send(
        res,
        500,
        'text/plain; charset=utf-8',
        'The demo could not be built; see the runner output.',
        false,
      );
    }
    return true;
  };
}
