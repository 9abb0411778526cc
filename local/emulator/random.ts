import { randomBytes, randomUUID } from 'node:crypto';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * An id shaped like AWS's: a 4-letter prefix (`AKIA` long-term key, `ASIA` temporary key,
 * `AROA` role id) followed by 16 characters of [A-Z2-7].
 */
export function randomKeyId(prefix: 'AKIA' | 'ASIA' | 'AROA'): string {
  let id = prefix;
  for (const byte of randomBytes(16)) id += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return id;
}

/** A 40-character secret access key (base64 alphabet, like AWS's). */
export const randomSecretAccessKey = (): string => randomBytes(30).toString('base64');

/** An opaque session token. */
export const randomSessionToken = (): string => randomBytes(192).toString('base64');

export const randomRequestId = (): string => randomUUID();
