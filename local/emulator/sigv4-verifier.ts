import type { IncomingMessage } from 'node:http';
import { CredentialStore, type Principal, randomKeyId, randomSecretAccessKey } from './credentials';
import { AuthFailure, type AuthFailureReason } from './errors';
import { parseAmzDate, parseAuthorization, type RawRequest, rawRequest, verifySignature } from './sigv4';
import type { KeyPair } from './types';

/** AWS rejects a request whose X-Amz-Date is further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The credential scope a request must be signed for, and the clock its X-Amz-Date is checked against. */
export interface Expectation {
  readonly region: string;
  /** SigV4 service name: `sts`, or `kinesisvideo` for both KVS APIs (`execute-api` for API Gateway). */
  readonly service: string;
  /** Epoch milliseconds. */
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

/** Why a SigV4 check refused a request: the reason, and AWS's message (it names no secret, token or signature). */
export interface SigV4Refusal {
  readonly reason: AuthFailureReason;
  readonly message: string;
}

/** A fresh long-term IAM user key, and the SigV4 check of requests signed with it. */
export interface SigV4Verifier {
  /** The user's access key (`AKIA…`) and 40-character secret, new for each verifier. */
  readonly keyPair: KeyPair;
  /** The IAM user's unique id (`AIDA…`), as `callerId` and `userId` carry it. */
  readonly userId: string;
  /**
   * Checks a request's signature exactly as the emulator checks its own calls (see
   * {@link authenticate}): resolves `undefined` for a valid signature by {@link keyPair},
   * otherwise the refusal. `body` is the whole body as received; the target is taken raw.
   */
  verify(req: IncomingMessage, body: Buffer): Promise<SigV4Refusal | undefined>;
}

/**
 * A SigV4 verifier for one fresh IAM user key, for stand-ins that accept AWS-signed requests
 * (API Gateway's IAM authorization). `scope.now` defaults to `Date.now`, epoch milliseconds.
 */
export function createSigV4Verifier(scope: {
  readonly region: string;
  readonly service: string;
  readonly now?: () => number;
}): SigV4Verifier {
  const now = scope.now ?? Date.now;
  const keyPair = { accessKeyId: randomKeyId('AKIA'), secretAccessKey: randomSecretAccessKey() };
  const store = new CredentialStore([{ keyPair, principal: { kind: 'developer' } }], now);
  const expected = { region: scope.region, service: scope.service, now };
  return {
    keyPair,
    userId: randomKeyId('AIDA'),
    verify: async (req, body) => {
      try {
        await authenticate(rawRequest(req, body), store, expected);
        return undefined;
      } catch (error) {
        if (!(error instanceof AuthFailure)) throw error;
        return { reason: error.reason, message: error.message };
      }
    },
  };
}
