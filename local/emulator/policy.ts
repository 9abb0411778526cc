import { AwsError } from './errors';

/** One statement of a session policy; action patterns are lower-cased (IAM actions are case-insensitive). */
interface Statement {
  readonly allow: boolean;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** A parsed IAM policy (identity-based or a session policy: Allow/Deny with Action and Resource). */
export interface PolicyDocument {
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
export function parseSessionPolicy(document: string): PolicyDocument {
  let json: unknown;
  try {
    json = JSON.parse(document);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  return parsePolicyJson(json);
}

/**
 * A role's identity-based policy from its statements (lib/iam-policies.ts), for the emulator to
 * enforce as IAM does; throws a TypeError when they are not a policy IAM would accept.
 */
export function policyFromStatements(statements: readonly unknown[]): PolicyDocument {
  try {
    return parsePolicyJson({ Version: '2012-10-17', Statement: [...statements] });
  } catch (error) {
    throw new TypeError(`startEmulator: invalid role policy: ${(error as Error).message}`);
  }
}

function parsePolicyJson(json: unknown): PolicyDocument {
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

/** One policy's verdict on a request: an explicit Deny wins, otherwise an Allow is needed. */
function verdict(policy: PolicyDocument, action: string, resource: string): 'allow' | 'deny' | 'none' {
  const lowerAction = action.toLowerCase();
  const matching = policy.statements.filter((s) => matches(s, lowerAction, resource));
  if (matching.some((s) => !s.allow)) return 'deny';
  return matching.length > 0 ? 'allow' : 'none';
}

/** IAM evaluation for one request against one policy: an explicit Deny wins, otherwise an Allow is needed. */
export const policyAllows = (policy: PolicyDocument, action: string, resource: string): boolean =>
  verdict(policy, action, resource) === 'allow';

/** Why IAM refused a request, as its access-denied messages say it. */
export type Denial = 'identityDeny' | 'sessionDeny' | 'noIdentityAllow' | 'noSessionAllow';

/**
 * IAM's decision for a principal whose permissions are an identity-based policy (a role's or a
 * user's) and, for a role session, the session policy passed to AssumeRole: an explicit Deny in
 * either wins, then both must allow (the session gets the intersection; IAM User Guide, "Policy
 * evaluation logic" and "Session policies"). Returns undefined when allowed, else why not.
 */
export function evaluate(
  identity: PolicyDocument,
  session: PolicyDocument | null,
  action: string,
  resource: string,
): Denial | undefined {
  const byIdentity = verdict(identity, action, resource);
  const bySession = session === null ? 'allow' : verdict(session, action, resource);
  if (byIdentity === 'deny') return 'identityDeny';
  if (bySession === 'deny') return 'sessionDeny';
  if (byIdentity !== 'allow') return 'noIdentityAllow';
  if (bySession !== 'allow') return 'noSessionAllow';
  return undefined;
}

/**
 * The end of IAM's access-denied message for a denial (IAM User Guide, "Access denied error
 * message examples"): `… because no session policy allows the kinesisvideo:ConnectAsMaster action`.
 */
export function denialReason(denial: Denial, action: string): string {
  switch (denial) {
    case 'identityDeny':
      return 'with an explicit deny in an identity-based policy';
    case 'sessionDeny':
      return 'with an explicit deny in a session policy';
    case 'noIdentityAllow':
      return `because no identity-based policy allows the ${action} action`;
    case 'noSessionAllow':
      return `because no session policy allows the ${action} action`;
  }
}
