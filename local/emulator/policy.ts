import { AwsError } from './errors';

/** One statement of a session policy; action patterns are lower-cased (IAM actions are case-insensitive). */
interface Statement {
  readonly allow: boolean;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** A parsed IAM session policy (identity-based, Allow/Deny with Action and Resource). */
export interface SessionPolicy {
  readonly statements: readonly Statement[];
}

/** AWS's limit on the plaintext `Policy` parameter of AssumeRole. */
export const MAX_POLICY_LENGTH = 2048;

const ALLOWED_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource']);
const UNSUPPORTED_KEYS = ['NotAction', 'NotResource', 'Condition'];

const malformed = (message: string) => new AwsError('MalformedPolicyDocument', 400, message);

function stringList(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string' && v !== '')) {
    throw malformed(`${field} must be a non-empty string or array of strings.`);
  }
  return list;
}

function parseStatement(raw: unknown): Statement {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw malformed('Statement must be an object.');
  const record = raw as Record<string, unknown>;
  if ('Principal' in record || 'NotPrincipal' in record) {
    throw malformed('Policy document should not specify a principal.');
  }
  const unsupported = UNSUPPORTED_KEYS.find((key) => key in record);
  if (unsupported) throw malformed(`${unsupported} is not supported by the local emulator.`);
  const unknown = Object.keys(record).find((key) => !ALLOWED_KEYS.has(key));
  if (unknown) throw malformed(`Unknown field ${unknown}.`);
  if (record.Effect !== 'Allow' && record.Effect !== 'Deny') throw malformed('Effect must be Allow or Deny.');
  return {
    allow: record.Effect === 'Allow',
    actions: stringList(record.Action, 'Action').map((a) => a.toLowerCase()),
    resources: stringList(record.Resource, 'Resource'),
  };
}

/** Parses a session policy document; throws `MalformedPolicyDocument` like STS does. */
export function parseSessionPolicy(document: string): SessionPolicy {
  let json: unknown;
  try {
    json = JSON.parse(document);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw malformed('Syntax errors in policy.');
  const { Version, Statement, ...rest } = json as Record<string, unknown>;
  if (Version !== undefined && Version !== '2012-10-17' && Version !== '2008-10-17') {
    throw malformed('The policy must contain a valid version string.');
  }
  const extra = Object.keys(rest).find((key) => key !== 'Id');
  if (extra) throw malformed(`Unknown field ${extra}.`);
  const list = Array.isArray(Statement) ? Statement : [Statement];
  if (Statement === undefined || list.length === 0) throw malformed('Policy has no statements.');
  return { statements: list.map(parseStatement) };
}

/**
 * IAM-style wildcard match: `*` matches any run of characters (including none), `?` exactly one
 * character, everything else itself. Iterative with single-star backtracking, so it runs in
 * O(pattern × text) at worst and never blows up on adversarial patterns the way a regex can.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** `action` must be lower-cased already, like the statement's patterns. */
const matches = (statement: Statement, action: string, resource: string): boolean =>
  statement.actions.some((a) => globMatch(a, action)) &&
  statement.resources.some((r) => globMatch(r, resource));

/** IAM evaluation for one request: an explicit Deny wins, otherwise an Allow is needed. */
export function policyAllows(policy: SessionPolicy, action: string, resource: string): boolean {
  const lowerAction = action.toLowerCase();
  const matching = policy.statements.filter((s) => matches(s, lowerAction, resource));
  return matching.length > 0 && matching.every((s) => s.allow);
}
