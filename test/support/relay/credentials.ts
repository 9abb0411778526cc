import { createHmac } from 'node:crypto';

/** A TURN username/password pair. */
export interface TurnRestCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest), as coturn checks them with
 * `use-auth-secret`: username `<expiry unix seconds>:<user>`, password base64(HMAC-SHA1(secret, username)).
 * A negative `ttlSeconds` mints credentials that have already expired. For the relay tool tests only:
 * the product gets its credentials from the API.
 */
export function turnRestCredentials(
  secret: string,
  ttlSeconds: number,
  user: string,
  nowMs: number = Date.now(),
): TurnRestCredentials {
  const expiry = Math.floor(nowMs / 1000) + Math.trunc(ttlSeconds);
  const username = `${expiry}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { username, password };
}
