import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ConnectAction } from '../../lambda/contract';
import type { CredentialStore, Principal } from './credentials';
import { AwsError } from './errors';
import type { AccountIam } from './iam';
import { CHANNEL_ARN, CLIENT_ID, invalidArgument } from './kvs-access';
import { CREDENTIAL, parseAmzDate, SIGNATURE } from './sigv4';
import { MAX_CLOCK_SKEW_MS } from './sigv4-verifier';

/** KVS refuses a presigned URL signed for longer than this (`X-Amz-Expires`, seconds). */
export const MAX_EXPIRES_SECONDS = 300;

/** A connection request that passed every check: who may connect where, in which role. */
export interface AdmittedConnection {
  readonly action: ConnectAction;
  readonly channelArn: string;
  /** The channel's name, from its ARN. */
  readonly channel: string;
  /** `X-Amz-ClientId`: the viewer's id; undefined for the master. */
  readonly clientId?: string;
}

/** What the checks need to know about the emulated account. */
export interface ConnectExpectation {
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  readonly credentials: CredentialStore;
  /** Whether the signer may connect: the scoped role's policy and the session's, intersected. */
  readonly iam: AccountIam;
  /** Emulator clock, epoch milliseconds. */
  readonly now: () => number;
}

/** The query parameters SigV4 query signing adds; the rest is the request's own query. */
const AUTH_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];

/** KVS's 403 for a URL it will not accept: bad, expired or unauthorized. The message names no secret. */
const accessDenied = (message: string) => new AwsError('AccessDeniedException', 403, message);

/** The raw query, decoded, one value per name (a repeated name is invalid). */
function queryParams(raw: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw invalidArgument('The query string is not valid percent-encoding.');
    }
    if (params.has(name)) throw invalidArgument(`Query parameter ${name} is repeated.`);
    params.set(name, value);
  }
  return params;
}

function required(params: Map<string, string>, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw accessDenied(`Missing query parameter ${name}.`);
  return value;
}

/** Recomputes the query signature over the request as received, with the key's secret. */
async function signatureOf(
  request: { path: string; host: string; params: Map<string, string> },
  key: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  scope: { region: string; service: string },
  signingDate: number,
  expiresIn: number,
  signedHeaders: readonly string[],
): Promise<string | undefined> {
  const query: Record<string, string> = {};
  for (const [name, value] of request.params) if (!AUTH_PARAMS.includes(name)) query[name] = value;
  const signer = new SignatureV4({
    credentials: key,
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    applyChecksum: false,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: 'localhost',
      path: request.path,
      query,
      headers: { host: request.host },
    },
    { signingDate: new Date(signingDate), expiresIn, signableHeaders: new Set(signedHeaders) },
  );
  const signature = signed.query?.['X-Amz-Signature'];
  return typeof signature === 'string' ? signature : undefined;
}

/**
 * Checks a `ConnectAsMaster` / `ConnectAsViewer` WebSocket handshake as KVS does: SigV4 query
 * authentication (`X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires` at most 300, `-SignedHeaders`
 * with `host`, `-Security-Token`, `-Signature`) by credentials the emulator issued, not expired,
 * signed for this Region and `kinesisvideo`; then `X-Amz-ChannelARN` (and for viewers
 * `X-Amz-ClientId`, `[a-zA-Z0-9_.-]{1,256}` not starting with `AWS_`), then the permission for
 * the action on that channel (the scoped role's policy intersected with the session's). Throws an {@link AwsError}: 400
 * `InvalidArgumentException`, 403 `AccessDeniedException`; messages never name a secret, token or
 * signature.
 */
export async function admitConnection(
  request: { action: ConnectAction; path: string; query: string; host: string | undefined },
  expected: ConnectExpectation,
): Promise<AdmittedConnection> {
  const params = queryParams(request.query);
  if (required(params, 'X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw accessDenied('X-Amz-Algorithm must be AWS4-HMAC-SHA256.');
  const credential = CREDENTIAL.exec(required(params, 'X-Amz-Credential'));
  if (!credential) throw accessDenied('X-Amz-Credential is malformed.');
  const [, accessKeyId = '', , region, service] = credential;
  const key = expected.credentials.lookup(accessKeyId);
  if (!key || key.sessionToken !== params.get('X-Amz-Security-Token')) {
    throw accessDenied('The security token included in the request is invalid.');
  }
  if (region !== expected.region || service !== 'kinesisvideo') {
    throw accessDenied(`Credential should be scoped to region ${expected.region} and service kinesisvideo.`);
  }
  const signingDate = parseAmzDate(required(params, 'X-Amz-Date'));
  if (signingDate === null) throw accessDenied('X-Amz-Date is not a YYYYMMDDTHHMMSSZ time.');
  const expiresRaw = required(params, 'X-Amz-Expires');
  const expires = /^\d{1,6}$/.test(expiresRaw) ? Number(expiresRaw) : Number.NaN;
  if (!(expires >= 1 && expires <= MAX_EXPIRES_SECONDS)) {
    throw accessDenied(`X-Amz-Expires must be from 1 to ${MAX_EXPIRES_SECONDS} seconds.`);
  }
  const signedHeaders = required(params, 'X-Amz-SignedHeaders').split(';');
  if (!signedHeaders.includes('host') || signedHeaders.some((name) => name !== 'host')) {
    throw accessDenied('X-Amz-SignedHeaders must be host.');
  }
  const signature = required(params, 'X-Amz-Signature');
  const now = expected.now();
  if (signingDate - now > MAX_CLOCK_SKEW_MS)
    throw accessDenied('Signature not yet current: X-Amz-Date is in the future.');
  const expected_ = await signatureOf(
    { path: request.path, host: request.host ?? '', params },
    { accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken: key.sessionToken },
    { region, service },
    signingDate,
    expires,
    signedHeaders,
  );
  if (
    !SIGNATURE.test(signature) ||
    expected_ === undefined ||
    !timingSafeEqual(Buffer.from(expected_), Buffer.from(signature))
  ) {
    throw accessDenied('The request signature we calculated does not match the signature you provided.');
  }
  if (now > signingDate + expires * 1000)
    throw accessDenied('Request has expired (X-Amz-Expires has passed).');
  if (key.expiresAt !== undefined && key.expiresAt <= now) {
    throw accessDenied('The security token included in the request is expired.');
  }
  return authorize(request.action, params, key.principal, expected);
}

/** The channel, the viewer's ClientId, and the permission for the action (role policy ∩ session policy). */
function authorize(
  action: ConnectAction,
  params: Map<string, string>,
  principal: Principal,
  expected: ConnectExpectation,
): AdmittedConnection {
  const channelArn = params.get('X-Amz-ChannelARN');
  const channel = channelArn === undefined ? undefined : CHANNEL_ARN.exec(channelArn)?.[1];
  if (channelArn === undefined || channel === undefined || channelArn.length > 1024) {
    throw invalidArgument('X-Amz-ChannelARN is missing or not a signaling channel ARN.');
  }
  const clientId = params.get('X-Amz-ClientId');
  if (action === 'ConnectAsViewer') {
    if (clientId === undefined) throw invalidArgument('X-Amz-ClientId is required to connect as a viewer.');
    if (!CLIENT_ID.test(clientId) || /^aws_/i.test(clientId)) {
      throw invalidArgument('X-Amz-ClientId must match [a-zA-Z0-9_.-]{1,256} and must not start with AWS_.');
    }
  }
  if (expected.iam.denial(principal, `kinesisvideo:${action}`, channelArn) !== undefined) {
    throw accessDenied(`The caller is not authorized to perform kinesisvideo:${action} on ${channelArn}.`);
  }
  return { action, channelArn, channel, ...(action === 'ConnectAsViewer' ? { clientId } : {}) };
}
