import {
  executionRoleStatements,
  type PolicyStatementJson,
  scopedRoleStatements,
} from '../../lib/iam-policies';
import { type Principal, randomKeyId } from './credentials';
import { AwsError } from './errors';
import { type Denial, denialReason, evaluate, type PolicyDocument, policyFromStatements } from './policy';

/** The local names of the deployment's principals (a deployed stack's are CloudFormation's). */
const EXECUTION_ROLE = 'kvs-ice-broker-execution';
/** The session name Lambda gives the execution role's credentials: the function's name. */
const FUNCTION_NAME = 'kvs-ice-broker-function';
const DEVELOPER_USER = 'kvs-ice-broker-developer';
const SAMPLE_VIEWER_USER = 'kvs-sample-viewer';

/**
 * What the KVS WebRTC samples' viewer calls with the keys it holds: the endpoint, the ICE servers
 * and the viewer's WebSocket. The status quo the broker replaces, for the first-frame benchmark's
 * baseline (bench/first-frame.ts); nothing else.
 */
const SAMPLE_VIEWER_ACTIONS = [
  'kinesisvideo:GetSignalingChannelEndpoint',
  'kinesisvideo:GetIceServerConfig',
  'kinesisvideo:ConnectAsViewer',
];

/** What the account's IAM needs to know: where it is, its roles, its channels and its parameter. */
export interface IamSettings {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly scopedRoleArn: string;
  /** The scoped role's identity-based policy, given the channels' ARNs (see `EmulatorOptions.scopedRolePolicy`). */
  readonly scopedRolePolicy: (channelArns: readonly string[]) => readonly PolicyStatementJson[];
  /** The SSM parameter the execution role may read (`EmulatorOptions.blockedCallersParameter`). */
  readonly blockedCallersParameter: string;
}

/**
 * The emulated account's IAM: who each principal is (ARN, unique id), what each may do, and whom
 * the scoped role trusts. Permissions are evaluated as IAM does: a scoped-role session gets the
 * intersection of the role's policy and its session policy, an explicit Deny wins, anything not
 * allowed is refused.
 *
 * - The function's own credentials are a session of its execution role, as Lambda hands them
 *   over; the role's statements are `executionRoleStatements` (lib/iam-policies.ts), the ones the
 *   stack writes: AssumeRole of the scoped role, GetParameter of the blocked-callers parameter.
 * - The scoped role's statements are the stack's too (`scopedRoleStatements` unless the runner
 *   says otherwise): the two KVS calls on the served channels, plus the served roles' Connect.
 * - The developer user (`npm start` prints its keys) may assume the scoped role, describe and
 *   list channels and describe their media storage, nothing else: a script does what the function does, with no more rights. The
 *   local scoped role trusts it besides the execution role; a deployed one trusts the execution
 *   role only, so on AWS such a script needs its principal added to that role's trust policy.
 * - The sample viewer user (with `EmulatorOptions.sampleViewerUser` only) is what the KVS WebRTC
 *   samples give a web page: an IAM user's keys allowed the viewer's three calls on the channels
 *   ({@link SAMPLE_VIEWER_ACTIONS}), nothing else; the scoped role does not trust it.
 */
export class AccountIam {
  readonly developerArn: string;
  readonly sampleViewerArn: string;
  private readonly executionSessionArn: string;
  private readonly ids = {
    scopedRole: randomKeyId('AROA'),
    executionRole: randomKeyId('AROA'),
    developer: randomKeyId('AIDA'),
    sampleViewer: randomKeyId('AIDA'),
  };
  private readonly policies: {
    readonly scoped: PolicyDocument;
    readonly execution: PolicyDocument;
    readonly developer: PolicyDocument;
    readonly sampleViewer: PolicyDocument;
  };

  constructor(settings: IamSettings, channelArns: readonly string[]) {
    const { partition, accountId, region } = settings;
    this.executionSessionArn = `arn:${partition}:sts::${accountId}:assumed-role/${EXECUTION_ROLE}/${FUNCTION_NAME}`;
    this.developerArn = `arn:${partition}:iam::${accountId}:user/${DEVELOPER_USER}`;
    this.sampleViewerArn = `arn:${partition}:iam::${accountId}:user/${SAMPLE_VIEWER_USER}`;
    const parameterArn = `arn:${partition}:ssm:${region}:${accountId}:parameter${settings.blockedCallersParameter}`;
    this.policies = {
      scoped: policyFromStatements(settings.scopedRolePolicy(channelArns)),
      execution: policyFromStatements(
        executionRoleStatements({
          scopedRoleArn: settings.scopedRoleArn,
          blockedCallersParameterArn: parameterArn,
        }),
      ),
      developer: policyFromStatements([
        { Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [settings.scopedRoleArn] },
        {
          Effect: 'Allow',
          Action: [
            'kinesisvideo:ListSignalingChannels',
            'kinesisvideo:DescribeSignalingChannel',
            'kinesisvideo:DescribeMediaStorageConfiguration',
          ],
          Resource: ['*'],
        },
      ]),
      // No channel, no statement: IAM allows nothing then.
      sampleViewer:
        channelArns.length === 0
          ? { statements: [] }
          : policyFromStatements([
              { Effect: 'Allow', Action: SAMPLE_VIEWER_ACTIONS, Resource: [...channelArns] },
            ]),
    };
  }

  /** The ARN IAM names the principal by (in access-denied messages and GetCallerIdentity). */
  arnOf(principal: Principal): string {
    switch (principal.kind) {
      case 'execution':
        return this.executionSessionArn;
      case 'developer':
        return this.developerArn;
      case 'sampleViewer':
        return this.sampleViewerArn;
      case 'session':
        return principal.session.assumedRoleArn;
    }
  }

  /** GetCallerIdentity's `UserId`: `AROA…:session` for role sessions, `AIDA…` for a user. */
  userIdOf(principal: Principal): string {
    switch (principal.kind) {
      case 'execution':
        return `${this.ids.executionRole}:${FUNCTION_NAME}`;
      case 'developer':
        return this.ids.developer;
      case 'sampleViewer':
        return this.ids.sampleViewer;
      case 'session':
        return principal.session.assumedRoleId;
    }
  }

  /** `AROA…:<session name>` of a new session of the scoped role. */
  scopedSessionId(sessionName: string): string {
    return `${this.ids.scopedRole}:${sessionName}`;
  }

  /** Whether the scoped role's trust policy names the principal (sessions of it are never trusted). */
  trustedByScopedRole(principal: Principal): boolean {
    return principal.kind === 'execution' || principal.kind === 'developer';
  }

  /** Why IAM refuses `action` on `resource` to the principal, or undefined when it is allowed. */
  denial(principal: Principal, action: string, resource: string): Denial | undefined {
    switch (principal.kind) {
      case 'execution':
        return evaluate(this.policies.execution, null, action, resource);
      case 'developer':
        return evaluate(this.policies.developer, null, action, resource);
      case 'sampleViewer':
        return evaluate(this.policies.sampleViewer, null, action, resource);
      case 'session':
        return evaluate(this.policies.scoped, principal.session.policy, action, resource);
    }
  }

  /**
   * Throws IAM's refusal (`code`, `status`, the message naming caller, action, resource and why)
   * unless the principal may perform `action` on `resource`.
   */
  authorize(principal: Principal, action: string, resource: string, code: string, status: number): void {
    const denial = this.denial(principal, action, resource);
    if (denial === undefined) return;
    throw new AwsError(
      code,
      status,
      `User: ${this.arnOf(principal)} is not authorized to perform: ${action} on resource: ${resource} ` +
        denialReason(denial, action),
    );
  }
}

/** The scoped role's statements a deployment without signaling routes has (the stack's default). */
export const defaultScopedRolePolicy = (channelArns: readonly string[]): PolicyStatementJson[] =>
  scopedRoleStatements(channelArns, []);
