import { createHmac } from 'node:crypto';

/** A TURN username and password as KVS hands them out (`IceServerList[].Username` / `Password`). */
export interface TurnCredentials {
  /** `<expiry unix seconds>:<base64("v1:" + channelArn)>` */
  readonly username: string;
  /** `base64(HMAC-SHA1(secret, username))` */
  readonly password: string;
}

/**
 * Mints TURN credentials in the TURN REST API scheme (draft-uberti-behave-turn-rest) that KVS
 * uses and that coturn accepts with `use-auth-secret` + `static-auth-secret=<secret>`.
 */
export function mintTurnCredentials(
  secret: string,
  channelArn: string,
  expiresAtSeconds: number,
): TurnCredentials {
  const username = `${Math.floor(expiresAtSeconds)}:${Buffer.from(`v1:${channelArn}`).toString('base64')}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { username, password };
}
