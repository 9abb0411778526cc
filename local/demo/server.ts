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
 * The demo's own headers: nothing but this origin may load scripts or styles. Besides this origin
 * the pages may call loopback only: the local KVS signaling service's WebSocket (the
 * /demo/signaling page), and a local API on another port (the first-frame benchmark serves the
 * page from an origin of its own, as an app's page would be, and calls the API across origins).
 */
const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' http://127.0.0.1:* ws://127.0.0.1:* wss://127.0.0.1:*; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** A page's script (`demo.ts`, `signaling.ts`) with the client library, bundled for the browser by esbuild. */
async function bundleScript(entry: string): Promise<string> {
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

/** Loads once and keeps the result; a failed load is forgotten, so the next request tries again. */
function kept(load: () => Promise<string>): () => Promise<string> {
  let value: Promise<string> | undefined;
  return () => {
    value ??= load().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

const HTML = 'text/html; charset=utf-8';
const JAVASCRIPT = 'text/javascript; charset=utf-8';

/** Where a page's channel picker goes, and the picker (its options come from the page's script). */
const CHANNEL_FIELD_SLOT = '<!-- channel field (local/demo/server.ts) -->';
const CHANNEL_FIELD = `<p>
        <label for="channel">Signaling channel</label>
        <select id="channel" name="channel"></select>
      </p>`;

/**
 * The demo at `/demo` and the master/viewer page at `/demo/signaling`: the pages, their scripts
 * (bundled on first request, then kept), the KVS WebRTC SDK build and `/demo/demo.css`, for
 * `GET` and `HEAD`; other methods get 405. Other paths are not its own.
 */
export function demoPages(options: DemoOptions): SitePages {
  const config = {
    channels: options.channels,
    authMode: options.authMode,
    ...(options.region ? { region: options.region } : {}),
    ...(options.caFile ? { caFile: options.caFile } : {}),
  };
  /** A page with the configuration written into its `demo-config` element, and the channel field both pages have. */
  const page = (file: string) =>
    kept(() =>
      readFile(join(DIR, file), 'utf8').then((html) =>
        html
          .replace('id="demo-config">null<', `id="demo-config">${scriptJson(config)}<`)
          .replace(CHANNEL_FIELD_SLOT, CHANNEL_FIELD),
      ),
    );
  const files = new Map<string, { type: string; body: () => Promise<string> }>(
    Object.entries({
      '/demo': { type: HTML, body: page('index.html') },
      '/demo/demo.js': { type: JAVASCRIPT, body: kept(() => bundleScript('demo.ts')) },
      // The master/viewer page: the official KVS WebRTC SDK (its dist build) and the client library.
      '/demo/signaling': { type: HTML, body: page('signaling.html') },
      '/demo/signaling.js': { type: JAVASCRIPT, body: kept(() => bundleScript('signaling.ts')) },
      '/demo/kvs-webrtc.js': {
        type: JAVASCRIPT,
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
