/** A configuration mistake the user must fix; the message names the context key or prop. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The one format of configuration errors, so every message names what to fix:
 * `Invalid context "channels": ...` or `Invalid IceBroker prop "throttleRate": ...`.
 */
export function configError(subject: string, keys: string | readonly string[], message: string): ConfigError {
  const names = (typeof keys === 'string' ? [keys] : keys).map((key) => `"${key}"`).join(' / ');
  return new ConfigError(`Invalid ${subject} ${names}: ${message}`);
}
