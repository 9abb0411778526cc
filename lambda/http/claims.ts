import { CHANNEL_NAME_PATTERN } from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * JWT claims as an API Gateway HTTP API JWT authorizer hands them to the function
 * (`requestContext.authorizer.jwt.claims`), and the channel lists the function reads from them.
 *
 * API Gateway turns every claim into a string with Go's formatting: strings as they are, numbers
 * and booleans as their text, arrays as `"[a b c]"` (elements joined by spaces, nested arrays
 * alike), objects as `"map[k:v]"` (keys sorted), `null` inside an array as `"<nil>"`; a claim
 * whose value is `null` is left out (floci-io/floci#2011, measured against HTTP APIs). That
 * flattening loses the elements' boundaries: `["x demo y"]`, `["x", "demo", "y"]` and
 * `[{"k": "x demo y"}]` become `"[x demo y]"` and `"[map[k:x demo y]]"`, so a list read from the
 * flattened text grants names that no element held. The function therefore reads the lists from
 * the token itself, the one in the identity source (`Authorization`, with or without `Bearer `)
 * that the authorizer verified, and first checks that the token is that one: each claim it relies
 * on, flattened the same way, must equal what the authorizer passed.
 */

/** One claim value as API Gateway's JWT authorizer passes it to the function; undefined for `null` (left out). */
export function apiGatewayClaimText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : goText(value);
}

/** Go's `%v` formatting of a decoded JSON value, as API Gateway writes claims. */
function goText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goText).join(' ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([key, item]) => `${key}:${goText(item)}`).join(' ')}]`;
  }
  return '<nil>';
}

/** Every claim of a token as the authorizer passes them (`requestContext.authorizer.jwt.claims`). */
export function apiGatewayClaims(payload: Record<string, unknown>): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    const text = apiGatewayClaimText(value);
    if (text !== undefined) claims[name] = text;
  }
  return claims;
}

/**
 * The payload of the bearer token in the request's `Authorization` header (the JWT authorizer's
 * identity source), decoded but not verified (the authorizer verified it); undefined when the
 * header holds no JWS compact token with a JSON object payload.
 */
export function bearerTokenPayload(event: APIGatewayProxyEventV2): Record<string, unknown> | undefined {
  const header = event.headers?.authorization?.trim();
  const token = header?.replace(/^Bearer\s+/i, '');
  const parts = token?.split('.');
  if (parts?.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? '')) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The names among `names` whose value in `payload`, flattened as API Gateway flattens it, differs
 * from `claims[name]` (a claim absent on one side only differs too): empty when the token is the
 * one the authorizer verified, as far as those claims tell.
 */
export function claimsDiffering(
  payload: Record<string, unknown>,
  claims: Record<string, unknown>,
  names: readonly string[],
): string[] {
  return names.filter((name) => {
    const passed = Object.hasOwn(claims, name) ? claims[name] : undefined;
    const own = Object.hasOwn(payload, name) ? apiGatewayClaimText(payload[name]) : undefined;
    return passed !== own;
  });
}

/** What kind of element of a channels claim granted nothing (logged; never the value). */
export type IgnoredElementKind = 'object' | 'array' | 'number' | 'boolean' | 'null' | 'not a channel name';

/** An element of a channels claim that granted nothing: the claim, its place in it, and why. */
export interface IgnoredClaimElement {
  readonly claim: string;
  /** The element's index in the JSON array, or in the string's space- or comma-separated list. */
  readonly index: number;
  readonly kind: IgnoredElementKind;
}

/** The channels a claim grants, and the elements that granted nothing. */
export interface ClaimedChannels {
  readonly channels: string[];
  readonly ignored: IgnoredClaimElement[];
}

function kindOf(value: unknown): Exclude<IgnoredElementKind, 'not a channel name'> | undefined {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return undefined;
}

/**
 * The channels a claim's JSON value grants. An array grants each element that is a string holding
 * one channel name as KVS writes them (`[a-zA-Z0-9_.-]{1,256}`), exactly as the element is; a
 * string (what identity providers such as Cognito's custom attributes can hold) is a list of
 * names separated by spaces or commas. Anything else grants nothing: an element that is an
 * object, an array, a number, a boolean or null, a string that is not one channel name
 * (`"x demo y"` names no channel: it is not split), and a claim that is itself an object, a
 * number or a boolean. Each such element is reported in `ignored`.
 */
export function claimedChannels(claim: string, value: unknown): ClaimedChannels {
  const channels: string[] = [];
  const ignored: IgnoredClaimElement[] = [];
  const take = (item: unknown, index: number) => {
    const kind = kindOf(item);
    if (kind !== undefined) ignored.push({ claim, index, kind });
    else if (typeof item === 'string' && CHANNEL_NAME_PATTERN.test(item)) channels.push(item);
    else ignored.push({ claim, index, kind: 'not a channel name' });
  };
  if (Array.isArray(value)) value.forEach(take);
  else if (typeof value === 'string')
    value
      .split(/[\s,]+/)
      .filter((name) => name !== '')
      .forEach(take);
  else take(value, 0);
  return { channels, ignored };
}
