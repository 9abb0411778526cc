import type { Principal, Session } from './credentials';
import { AwsError } from './errors';
import type { EmulatorContext, OperationHandler, PreparedCall } from './operation';
import { MAX_POLICY_LENGTH, type PolicyDocument, parseSessionPolicy } from './policy';
import { awsQuery, element } from './protocols';

const VERSION = '2011-06-15';
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const MIN_DURATION = 900;
/** Role chaining (a Lambda role assuming another role) caps sessions at one hour. */
const MAX_DURATION = 3600;

interface AssumeRoleInput {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly policy: PolicyDocument | null;
}

const invalid = (message: string) => new AwsError('ValidationError', 400, message);
const notNull = (field: string) =>
  invalid(
    `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
  );

function parseDuration(raw: string | null): number {
  if (raw === null) return MAX_DURATION;
  const seconds = /^\d{1,9}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds >= MIN_DURATION)) {
    throw invalid(
      `Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must be at least 900`,
    );
  }
  if (seconds > MAX_DURATION) {
    throw invalid(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  }
  return seconds;
}

function parsePolicy(raw: string | null): PolicyDocument | null {
  if (raw === null) return null;
  if (raw.length < 1 || raw.length > MAX_POLICY_LENGTH) {
    throw invalid(
      `Value at 'policy' failed to satisfy constraint: Member must have length between 1 and ${MAX_POLICY_LENGTH}`,
    );
  }
  return parseSessionPolicy(raw);
}

function parseInput(body: Buffer): AssumeRoleInput {
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action');
  if (action !== 'AssumeRole' || form.get('Version') !== VERSION) {
    throw new AwsError(
      'InvalidAction',
      400,
      `Could not find operation ${action} for version ${form.get('Version')}`,
    );
  }
  const roleArn = form.get('RoleArn');
  if (roleArn === null) throw notNull('roleArn');
  if (roleArn.length < 20 || roleArn.length > 2048) throw invalid(`Value at 'roleArn' has an invalid length`);
  const sessionName = form.get('RoleSessionName');
  if (sessionName === null) throw notNull('roleSessionName');
  if (!SESSION_NAME.test(sessionName)) {
    throw invalid(
      `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
    );
  }
  const durationSeconds = parseDuration(form.get('DurationSeconds'));
  return { roleArn, sessionName, durationSeconds, policy: parsePolicy(form.get('Policy')) };
}

const roleName = (roleArn: string): string => roleArn.slice(roleArn.lastIndexOf('/') + 1);

function responseXml(session: Session, requestId: string): string {
  const credentials =
    element('AccessKeyId', session.accessKeyId) +
    element('SecretAccessKey', session.secretAccessKey) +
    element('SessionToken', session.sessionToken) +
    element('Expiration', new Date(session.expiresAt).toISOString().replace('.000Z', 'Z'));
  const user = element('AssumedRoleId', session.assumedRoleId) + element('Arn', session.assumedRoleArn);
  return (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>' +
    `<Credentials>${credentials}</Credentials><AssumedRoleUser>${user}</AssumedRoleUser>` +
    `</AssumeRoleResult><ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata>` +
    '</AssumeRoleResponse>'
  );
}

/**
 * STS `AssumeRole` of the scoped role: the caller's identity policy must allow `sts:AssumeRole`
 * on it and the role's trust policy must name the caller (the execution role, and locally the
 * developer user); any other role is refused as one the caller may not assume.
 */
export function assumeRoleHandler(ctx: EmulatorContext): OperationHandler {
  return {
    operation: 'AssumeRole',
    path: '/',
    service: 'sts',
    protocol: awsQuery,
    prepare(body: Buffer, principal: Principal): PreparedCall {
      const input = parseInput(body);
      ctx.iam.authorize(principal, 'sts:AssumeRole', input.roleArn, 'AccessDenied', 403);
      if (input.roleArn !== ctx.scopedRoleArn || !ctx.iam.trustedByScopedRole(principal)) {
        throw new AwsError(
          'AccessDenied',
          403,
          `User: ${ctx.iam.arnOf(principal)} is not authorized to perform: sts:AssumeRole on resource: ${input.roleArn}`,
        );
      }
      return {
        run: (requestId) => {
          const session = ctx.credentials.issue({
            roleArn: input.roleArn,
            assumedRoleArn: `arn:${ctx.partition}:sts::${ctx.accountId}:assumed-role/${roleName(input.roleArn)}/${input.sessionName}`,
            assumedRoleId: ctx.iam.scopedSessionId(input.sessionName),
            policy: input.policy,
            // STS reports whole seconds; the session expires exactly when it says.
            expiresAt: (Math.floor(ctx.now() / 1000) + input.durationSeconds) * 1000,
          });
          return responseXml(session, requestId);
        },
      };
    },
  };
}
