/** An error response in AWS terms; each protocol renders it in its own wire format. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

/** Why SigV4 authentication failed; each protocol maps it to its own error code. */
export type AuthFailureReason =
  | 'missing' // no Authorization header
  | 'incomplete' // malformed Authorization header or missing X-Amz-Date
  | 'unknownKey' // access key id or session token not recognised
  | 'signature' // signature, scope or payload hash does not match
  | 'stale' // X-Amz-Date more than 5 minutes from the emulator clock
  | 'expired'; // temporary credentials past their expiration

/** A failed SigV4 check; `message` is AWS's wording and never contains a secret, token or signature. */
export class AuthFailure extends Error {
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'AuthFailure';
  }
}

/** KVS's 404 for a channel that does not exist (or is not active). */
export const resourceNotFound = () =>
  new AwsError('ResourceNotFoundException', 404, 'The requested channel is not found or not active.');
