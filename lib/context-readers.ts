/**
 * Typed readers of CDK context values. Values may be strings (from `-c key=value`) or JSON
 * values (from `cdk.json`); every error names the context key.
 */
import { configError } from './config-error';

/** Reads one CDK context value (`cdk.json` "context", overridden by `-c key=value`). */
export type ContextReader = (key: string) => unknown;

/** A comma-separated string or an array of strings, trimmed, without empty entries. */
export function readList(read: ContextReader, key: string): string[] {
  const value = read(key);
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw contextError(key, 'expected a comma-separated string or an array of strings');
  }
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

/** A trimmed non-empty string, or `undefined` when the key is unset or empty. */
export function readString(read: ContextReader, key: string): string | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw contextError(key, `${JSON.stringify(value)} is not a string`);
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** `true` / `false` (JSON booleans or the strings), or `undefined` when the key is unset. */
export function readBoolean(read: ContextReader, key: string): boolean | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw contextError(key, `${JSON.stringify(value)} is neither true nor false`);
}

/** A number, validated by `problem`, or `undefined` when the key is unset. */
export function readNumber(
  read: ContextReader,
  key: string,
  problem: (value: number) => string | undefined,
): number | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw contextError(key, `${JSON.stringify(value)} is not a number`);
  }
  check(key, problem(number));
  return number;
}

/** Throws an error naming `key` when `problem` is set. */
export function check(key: string, problem: string | undefined): void {
  if (problem !== undefined) throw contextError(key, problem);
}

/** `Invalid context "key": message`. */
export function contextError(keys: string | readonly string[], message: string): Error {
  return configError('context', keys, message);
}
