import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BodyTooLargeError, closeServer, fromThisMachine, listen, readBody } from '../http-server';
import { createTokenMinter, type MinterOptions, MintRequestError } from './token-minter';

/** Path of the local token endpoint (not OAuth: it mints for whoever asks on loopback). */
export const TOKENS_PATH = '/_local/tokens';
const MAX_BODY_BYTES = 16 * 1024;

/** A running dev OIDC issuer, as {@link startLocalIssuer} started it. */
export interface LocalIssuer {
  /** `http://127.0.0.1:<port>`: the `iss` of its tokens and the base of its discovery document. */
  readonly url: string;
  /** Mints a token (see `MintRequest`); throws `MintRequestError` for an invalid request. */
  mint(request: unknown): Promise<string>;
  /** Stops listening and drops open connections; its tokens stay valid but their keys are gone. */
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, MAX_BODY_BYTES).catch((error: unknown) => {
    throw error instanceof BodyTooLargeError
      ? new MintRequestError(`body must be at most ${MAX_BODY_BYTES} bytes`)
      : error;
  });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new MintRequestError('body is not valid JSON');
  }
}

/**
 * Only same-machine tools may mint: a JSON content type (so a web page cannot post without a
 * CORS preflight, which this server never grants) and a loopback Host (no DNS rebinding).
 */
function mayMint(req: IncomingMessage): boolean {
  return fromThisMachine(req) && /^application\/json\b/i.test(req.headers['content-type'] ?? '');
}

/**
 * A local OpenID Connect issuer on 127.0.0.1: `/.well-known/openid-configuration`,
 * `/.well-known/jwks.json` (one RS256 key generated at start) and `POST /_local/tokens`.
 */
export async function startLocalIssuer(options: Omit<MinterOptions, 'issuer'>): Promise<LocalIssuer> {
  const server = createServer();
  const port = await listen(server, 0);
  const url = `http://127.0.0.1:${port}`;
  const minter = await createTokenMinter({ ...options, issuer: url });
  const discovery = {
    issuer: url,
    jwks_uri: `${url}/.well-known/jwks.json`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  };
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', url).pathname;
    if (req.method === 'GET' && path === '/.well-known/openid-configuration')
      return json(res, 200, discovery);
    if (req.method === 'GET' && path === '/.well-known/jwks.json') return json(res, 200, minter.jwks);
    if (req.method !== 'POST' || path !== TOKENS_PATH) return json(res, 404, { message: 'Not Found' });
    if (!mayMint(req)) return json(res, 403, { message: 'POST JSON from this machine (Host 127.0.0.1)' });
    try {
      return json(res, 200, { token: await minter.mint(await readJson(req)) });
    } catch (error) {
      if (error instanceof MintRequestError) return json(res, 400, { message: error.message });
      throw error;
    }
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  return {
    url,
    mint: (request) => minter.mint(request),
    close: () => closeServer(server),
  };
}
