import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { splitTarget } from '../http-server';

/** An incoming request as it arrived on the wire. */
export interface RawRequest {
  readonly method: string;
  /** Raw (still percent-encoded) path, without the query string. */
  readonly path: string;
  /** Raw query string without `?`, possibly empty. */
  readonly query: string;
  /** Lower-case header name to value; repeated headers joined with `,`. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

/** Lower-case header name to value, repeated headers trimmed and joined with `,` (as SigV4 wants). */
function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = (rawHeaders[i + 1] ?? '').trim();
    const existing = headers.get(name);
    headers.set(name, existing === undefined ? value : `${existing},${value}`);
  }
  return headers;
}

/** The request as SigV4 sees it: method, raw path and query (`req.url` split, nothing decoded), headers, body. */
export function rawRequest(req: IncomingMessage, body: Buffer): RawRequest {
  return {
    method: req.method ?? 'GET',
    ...splitTarget(req.url ?? '/'),
    headers: headerMap(req.rawHeaders),
    body,
  };
}

/** The parts of an `AWS4-HMAC-SHA256` Authorization header. */
export interface SigV4Authorization {
  readonly accessKeyId: string;
  /** Credential scope date, `YYYYMMDD`. */
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  /** Lower-case header names, as listed in SignedHeaders. */
  readonly signedHeaders: readonly string[];
  /** 64 lower-case hex digits. */
  readonly signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** A SigV4 credential, `<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request`. */
export const CREDENTIAL = /^([A-Za-z0-9]{16,128})\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/;
const SIGNED_HEADERS = /^[a-z0-9-]+(;[a-z0-9-]+)*$/;
/** A SigV4 signature: 64 lower-case hex digits. */
export const SIGNATURE = /^[0-9a-f]{64}$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Parses an Authorization header; `null` when it is not a well-formed SigV4 header. */
export function parseAuthorization(header: string): SigV4Authorization | null {
  const match = /^(\S+)\s+(.*)$/s.exec(header.trim());
  if (!match || match[1] !== ALGORITHM || match[2] === undefined) return null;
  const fields = new Map<string, string>();
  for (const part of match[2].split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = CREDENTIAL.exec(fields.get('Credential') ?? '');
  const signedHeaders = fields.get('SignedHeaders') ?? '';
  const signature = fields.get('Signature') ?? '';
  if (!credential || !SIGNED_HEADERS.test(signedHeaders) || !SIGNATURE.test(signature)) return null;
  const [, accessKeyId = '', scopeDate = '', region = '', service = ''] = credential;
  return { accessKeyId, scopeDate, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** Parses `YYYYMMDDTHHMMSSZ` to epoch milliseconds; `null` when malformed. */
export function parseAmzDate(value: string): number | null {
  const m = AMZ_DATE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const ms = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? ms : null;
}

const sha256Hex = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

function parseQuery(raw: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = safeDecode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : safeDecode(pair.slice(eq + 1));
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Recomputes the signature over the request rebuilt with exactly the signed headers, the raw
 * path and query and the body, with the secret of `auth.accessKeyId`, and compares it in
 * constant time. A session token is covered as one of the signed headers. A signed
 * `x-amz-content-sha256` must be the SHA-256 of the body actually received.
 */
export async function verifySignature(
  request: RawRequest,
  auth: SigV4Authorization,
  secretAccessKey: string,
  signingDate: number,
): Promise<boolean> {
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = request.headers.get(name);
    if (value === undefined) return false;
    headers[name] = value;
  }
  const declaredHash = headers['x-amz-content-sha256'];
  if (declaredHash !== undefined && declaredHash !== sha256Hex(request.body)) return false;
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: 'localhost',
      path: request.path,
      query: parseQuery(request.query),
      headers,
      body: request.body,
    },
    { signingDate: new Date(signingDate), signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? '')?.[1];
  return expected !== undefined && timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature));
}
