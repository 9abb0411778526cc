import type { CredentialStore, Principal } from './credentials';
import { AuthFailure } from './errors';
import { parseAmzDate, parseAuthorization, type RawRequest, verifySignature } from './sigv4';

/** AWS rejects a request whose X-Amz-Date is further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface Expectation {
  readonly region: string;
  /** SigV4 service name: `sts`, or `kinesisvideo` for both KVS APIs. */
  readonly service: string;
  readonly now: () => number;
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method.';
const INVALID_TOKEN = 'The security token included in the request is invalid.';

const fail = (reason: AuthFailure['reason'], message: string): never => {
  throw new AuthFailure(reason, message);
};

function checkScope(scope: { region: string; service: string }, expected: Expectation): void {
  if (scope.region !== expected.region) {
    fail('signature', `Credential should be scoped to a valid region. Expected '${expected.region}'.`);
  }
  if (scope.service !== expected.service) {
    fail('signature', `Credential should be scoped to correct service: '${expected.service}'.`);
  }
}

function checkDate(amzDate: string | undefined, signedHeaders: readonly string[], now: number): number {
  const signingDate = amzDate === undefined ? null : parseAmzDate(amzDate);
  if (signingDate === null || !signedHeaders.includes('x-amz-date') || !signedHeaders.includes('host')) {
    return fail(
      'incomplete',
      'Authorization requires a signed, valid X-Amz-Date header and a signed Host header.',
    );
  }
  if (Math.abs(signingDate - now) > MAX_CLOCK_SKEW_MS) {
    const serverTime = new Date(now).toISOString();
    fail(
      'stale',
      `Signature expired: ${amzDate} is more than 5 minutes away from the server time ${serverTime}.`,
    );
  }
  return signingDate;
}

/**
 * Authenticates a SigV4-signed request: known access key (and matching session token for
 * temporary credentials), credential scope, clock skew, signature, then expiry. Throws an
 * {@link AuthFailure}; its messages never contain secrets, tokens or signatures.
 */
export async function authenticate(
  request: RawRequest,
  store: CredentialStore,
  expected: Expectation,
): Promise<Principal> {
  const header = request.headers.get('authorization');
  if (header === undefined) return fail('missing', 'Missing Authentication Token');
  const auth = parseAuthorization(header);
  if (!auth) return fail('incomplete', 'The Authorization header is not a valid AWS4-HMAC-SHA256 header.');
  const key = store.lookup(auth.accessKeyId);
  if (!key || key.sessionToken !== request.headers.get('x-amz-security-token')) {
    return fail('unknownKey', INVALID_TOKEN);
  }
  checkScope(auth, expected);
  const now = expected.now();
  const signingDate = checkDate(request.headers.get('x-amz-date'), auth.signedHeaders, now);
  if (!(await verifySignature(request, auth, key.secretAccessKey, signingDate)))
    fail('signature', SIGNATURE_MISMATCH);
  if (key.expiresAt !== undefined && key.expiresAt <= now)
    fail('expired', 'The security token included in the request is expired');
  return key.principal;
}
