/**
 * `secret` with its first character replaced by a different one from the base64 and hex alphabets,
 * so a refusal test always sends a secret that differs from the real one, of the same length and
 * alphabet (a TURN password, a SigV4 or JWT signature).
 *
 * Replacing the first character with a fixed one (`x${credential.slice(1)}`) leaves a secret that
 * already starts with it unchanged: for a base64 TURN password that is 1 run in 64, and the relay
 * then accepts the "tampered" credential.
 *
 * @throws Error when `secret` is empty.
 */
export function tampered(secret: string): string {
  const first = secret[0];
  if (first === undefined) throw new Error('tampered: the secret is empty, there is nothing to change');
  return `${first === '0' ? '1' : '0'}${secret.slice(1)}`;
}
