import { deflateRawSync } from 'node:zlib';
import type { Principal, Session } from './credentials';
import { AwsError } from './errors';
import { type EmulatorContext, handler, type OperationHandler, type PreparedCall } from './operation';
import { MAX_POLICY_LENGTH, type PolicyDocument, parseSessionPolicy } from './policy';
import { element } from './protocols';

/** Role chaining (a Lambda role assuming another role) caps sessions at one hour, as does the scoped role's MaxSessionDuration. */
const MAX_DURATION = 3600;

/**
 * The packed (compressed, binary) size budget a session policy is measured against. AWS does not
 * publish its packing: the emulator deflates the minified policy and counts it against this many
 * bytes, so that the broker's one-channel policies pack to a small fraction and a long policy of
 * little redundancy fails with `PackedPolicyTooLarge` as AWS's would. An estimate, not AWS's
 * figure: `PackedPolicySize` is for reading trends, and the fault is injectable exactly.
 */
export const PACKED_POLICY_BUDGET_BYTES = 1024;

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const invalid = (message: string) => new AwsError('ValidationError', 400, message);

/** The percentage of the packed budget a policy takes (STS's `PackedPolicySize`), rounded up. */
export function packedPolicySize(policy: string): number {
  let minified = policy;
  try {
    minified = JSON.stringify(JSON.parse(policy));
  } catch {
    // A policy that is not JSON is refused as malformed before its size matters.
  }
  return Math.ceil((deflateRawSync(Buffer.from(minified)).length * 100) / PACKED_POLICY_BUDGET_BYTES);
}

interface AssumeRoleInput {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly policy: { readonly document: PolicyDocument; readonly packedSize: number } | null;
}

function parseInput(input: Record<string, unknown>): AssumeRoleInput {
  const durationSeconds = typeof input.DurationSeconds === 'number' ? input.DurationSeconds : MAX_DURATION;
  if (durationSeconds > MAX_DURATION) {
    throw invalid(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  const raw = typeof input.Policy === 'string' ? input.Policy : null;
  // IAM's quota on the plaintext of inline session policies (the model sets no maximum).
  if (raw !== null && raw.length > MAX_POLICY_LENGTH) {
    throw invalid(
      `1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to ${MAX_POLICY_LENGTH}`,
    );
  }
  const policy =
    raw === null ? null : { document: parseSessionPolicy(raw), packedSize: packedPolicySize(raw) };
  if (policy && policy.packedSize > 100) {
    throw new AwsError(
      'PackedPolicyTooLarge',
      400,
      `Packed policy consumes ${policy.packedSize}% of allotted space.`,
    );
  }
  return {
    roleArn: String(input.RoleArn),
    sessionName: String(input.RoleSessionName),
    durationSeconds,
    policy,
  };
}

const roleName = (roleArn: string): string => roleArn.slice(roleArn.lastIndexOf('/') + 1);

function assumeRoleXml(session: Session, packedSize: number | undefined, requestId: string): string {
  const credentials =
    element('AccessKeyId', session.accessKeyId) +
    element('SecretAccessKey', session.secretAccessKey) +
    element('SessionToken', session.sessionToken) +
    element('Expiration', new Date(session.expiresAt).toISOString().replace('.000Z', 'Z'));
  const user = element('AssumedRoleId', session.assumedRoleId) + element('Arn', session.assumedRoleArn);
  const packed = packedSize === undefined ? '' : element('PackedPolicySize', String(packedSize));
  return (
    `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult>` +
    `<Credentials>${credentials}</Credentials><AssumedRoleUser>${user}</AssumedRoleUser>${packed}` +
    `</AssumeRoleResult><ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata>` +
    '</AssumeRoleResponse>'
  );
}

/**
 * STS `AssumeRole` of the scoped role: the caller's identity policy must allow `sts:AssumeRole`
 * on it and the role's trust policy must name the caller (the execution role, and locally the
 * developer user); any other role is refused as one the caller may not assume. A session policy
 * is parsed and packed (`PackedPolicySize`, `PackedPolicyTooLarge`); sessions last at most an hour.
 */
function assumeRole(ctx: EmulatorContext): OperationHandler {
  return handler('AssumeRole', (raw, principal): PreparedCall => {
    const input = parseInput(raw);
    const deniedMessage = `User: ${ctx.iam.arnOf(principal)} is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`;
    ctx.iam.authorize(principal, 'sts:AssumeRole', input.roleArn, 'AccessDenied', 403);
    if (input.roleArn !== ctx.scopedRoleArn || !ctx.iam.trustedByScopedRole(principal))
      throw new AwsError('AccessDenied', 403, deniedMessage);
    return {
      run: (requestId) => {
        const session = ctx.credentials.issue({
          roleArn: input.roleArn,
          assumedRoleArn: `arn:${ctx.partition}:sts::${ctx.accountId}:assumed-role/${roleName(input.roleArn)}/${input.sessionName}`,
          assumedRoleId: ctx.iam.scopedSessionId(input.sessionName),
          policy: input.policy?.document ?? null,
          // STS reports whole seconds; the session expires exactly when it says.
          expiresAt: (Math.floor(ctx.now() / 1000) + input.durationSeconds) * 1000,
        });
        return assumeRoleXml(session, input.policy?.packedSize, requestId);
      },
    };
  });
}

/** STS `GetCallerIdentity`: who signed the request. No permission is needed, as on AWS. */
function getCallerIdentity(ctx: EmulatorContext): OperationHandler {
  return handler('GetCallerIdentity', (_input, principal: Principal) => ({
    run: (requestId) =>
      `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult>` +
      element('Arn', ctx.iam.arnOf(principal)) +
      element('UserId', ctx.iam.userIdOf(principal)) +
      element('Account', ctx.accountId) +
      `</GetCallerIdentityResult><ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata>` +
      '</GetCallerIdentityResponse>',
  }));
}

/** The STS operations (awsQuery on the control endpoint). */
export const stsHandlers = (ctx: EmulatorContext): OperationHandler[] => [
  assumeRole(ctx),
  getCallerIdentity(ctx),
];
