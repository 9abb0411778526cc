import type { JWTPayload } from 'jose';

/**
 * One claim value as API Gateway's JWT authorizer hands it to the function: strings as they are,
 * numbers and booleans as text, arrays flattened to `"[a b c]"` and objects to `"map[k:v]"`
 * (Go's formatting, which API Gateway uses).
 */
function claimText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(claimText).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([key, item]) => `${key}:${claimText(item)}`).join(' ')}]`;
  }
  return '<nil>';
}

/** Every claim of a verified token, each value a string, as in `requestContext.authorizer.jwt.claims`. */
export function apiGatewayClaims(payload: JWTPayload): Record<string, string> {
  return Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, claimText(value)]));
}

/** The OAuth scopes a token carries: the space-separated `scope` claim, or `scp` (a string or a list). */
export function tokenScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  const items = Array.isArray(raw) ? raw.filter((item) => typeof item === 'string') : [raw];
  return items.flatMap((item) => (typeof item === 'string' ? item.split(' ') : [])).filter(Boolean);
}
