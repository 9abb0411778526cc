import { createSigV4Verifier, type SigV4Refusal } from '../emulator';
import { splitTarget } from '../http-server';
import type { Authorizer } from './server';

/** Where the local API runs, for the IAM user's ARN and the SigV4 credential scope. */
export interface AuthSite {
  /** Region of the signature's credential scope. */
  readonly region: string;
  /** Partition (`aws`, `aws-cn`, …) and 12-digit account of the local IAM user. */
  readonly partition: string;
  readonly accountId: string;
}

/** The local dev key pair that `iam` mode accepts, and where it is valid. */
export interface DevCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Region of the credential scope requests must be signed for (service `execute-api`). */
  region: string;
}

/** The IAM authorizer, and the one key pair it accepts. */
export interface IamAuthorizer {
  readonly authorizer: Authorizer;
  /** Long-term dev keys of the local IAM user, fresh for each start. */
  readonly credentials: DevCredentials;
}

/** Why a request was refused, in the words a developer would search for. */
const REFUSALS: Record<SigV4Refusal['reason'], string> = {
  missing: 'no Authorization header (the request is not signed)',
  incomplete: 'malformed signature (Authorization, X-Amz-Date or signed Host header)',
  unknownKey: 'unknown access key (or session token)',
  signature: 'signature does not match',
  stale: 'signature expired (X-Amz-Date more than 5 minutes from this clock)',
  expired: 'credentials expired',
};

/**
 * One JSON line on stderr saying why a request got 403: the reason and the verifier's message,
 * which names no secret, token or signature. Method and raw path only: a query string can carry
 * a presigned signature.
 */
function logRefusal(method: string, path: string, refusal: SigV4Refusal): void {
  console.warn(
    JSON.stringify({
      level: 'WARN',
      message: `local IAM authorizer refused ${method} ${path}: ${REFUSALS[refusal.reason]}`,
      reason: REFUSALS[refusal.reason],
      detail: refusal.message,
    }),
  );
}

/**
 * The IAM authorizer of the local API: requests must be SigV4-signed (service `execute-api`)
 * with the dev credentials, verified by the emulator's verifier; anything else gets API
 * Gateway's 403 `{"message":"Forbidden"}`. The function sees `authorizer.iam` as for an IAM user.
 */
export function iamAuthorizer(site: AuthSite): IamAuthorizer {
  const verifier = createSigV4Verifier({ region: site.region, service: 'execute-api' });
  const credentials = { ...verifier.keyPair, region: site.region };
  const context = {
    iam: {
      accessKey: credentials.accessKeyId,
      accountId: site.accountId,
      callerId: verifier.userId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: `arn:${site.partition}:iam::${site.accountId}:user/local-dev`,
      userId: verifier.userId,
    },
  };
  const authorizer: Authorizer = async (req, body) => {
    const refusal = await verifier.verify(req, body);
    if (refusal === undefined) return { authorizer: context };
    logRefusal(req.method ?? 'GET', splitTarget(req.url ?? '/').path, refusal);
    return { reject: { status: 403, message: 'Forbidden' } };
  };
  return { authorizer, credentials };
}
