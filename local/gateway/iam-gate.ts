import { authenticate } from '../emulator/auth';
import { CredentialStore } from '../emulator/credentials';
import { AuthFailure, type AuthFailureReason } from '../emulator/errors';
import { headerMap, splitTarget } from '../emulator/http';
import { randomKeyId, randomSecretAccessKey } from '../emulator/random';
import type { Gate } from './gate';
import type { DevCredentials } from './types';

export interface IamGateConfig {
  /** Region of the signature's credential scope. */
  readonly region: string;
  /** Partition and account of the local IAM user. */
  readonly partition: string;
  readonly accountId: string;
}

export interface IamGate {
  readonly gate: Gate;
  /** Long-term dev keys of the local IAM user, fresh for each start. */
  readonly credentials: DevCredentials;
}

/** Why a request was refused, in the words a developer would search for. */
const REFUSALS: Record<AuthFailureReason, string> = {
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
function logRefusal(method: string, path: string, failure: AuthFailure): void {
  console.warn(
    JSON.stringify({
      level: 'WARN',
      message: `local IAM authorizer refused ${method} ${path}: ${REFUSALS[failure.reason]}`,
      reason: REFUSALS[failure.reason],
      detail: failure.message,
    }),
  );
}

/** A unique id of an IAM user (`AIDA…`), as `callerId` and `userId` carry it. */
const randomUserId = () => randomKeyId('AKIA').replace(/^AKIA/, 'AIDA');

/**
 * The IAM authorizer of the local API: requests must be SigV4-signed (service `execute-api`)
 * with the dev credentials, verified by the emulator's verifier; anything else gets API
 * Gateway's 403 `{"message":"Forbidden"}`. The function sees `authorizer.iam` as for an IAM user.
 */
export function iamGate(config: IamGateConfig): IamGate {
  const credentials = {
    accessKeyId: randomKeyId('AKIA'),
    secretAccessKey: randomSecretAccessKey(),
    region: config.region,
  };
  const store = new CredentialStore(credentials, Date.now);
  const userId = randomUserId();
  const authorizer = {
    iam: {
      accessKey: credentials.accessKeyId,
      accountId: config.accountId,
      callerId: userId,
      cognitoIdentity: null,
      principalOrgId: null,
      userArn: `arn:${config.partition}:iam::${config.accountId}:user/local-dev`,
      userId,
    },
  };
  const expected = { region: config.region, service: 'execute-api', now: Date.now };
  const gate: Gate = async (req, body) => {
    const request = {
      method: req.method ?? 'GET',
      ...splitTarget(req.url ?? '/'),
      headers: headerMap(req.rawHeaders),
      body,
    };
    try {
      await authenticate(request, store, expected);
    } catch (error) {
      if (!(error instanceof AuthFailure)) throw error;
      logRefusal(request.method, request.path, error);
      return { reject: { status: 403, message: 'Forbidden' } };
    }
    return { authorizer };
  };
  return { gate, credentials };
}
