/**
 * The IAM statements of the broker's two roles as plain policy JSON: one function per role, used
 * by the construct to write them and by the local AWS emulator to enforce them, so that a grant the
 * stack leaves out fails locally exactly as it would on AWS. Pure: no CDK import, so the emulator
 * (and anything else) can evaluate the same statements the template carries. ARNs may be CDK
 * tokens; `PolicyStatement.fromJson` keeps them.
 */
import type { ChannelRole } from '@kvs-ice-broker/client/contract';
import { connectPermission, KVS_ACTIONS, storagePermissions } from '../lambda/contract';

/** One `Allow` statement of an identity-based policy, as IAM's policy JSON spells it. */
export interface PolicyStatementJson {
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

/**
 * The scoped role's statements: `KVS_ACTIONS` (GetSignalingChannelEndpoint, GetIceServerConfig)
 * on exactly the served channels, and, when signaling routes are served, their roles' Connect
 * actions (`ConnectAsViewer`, `ConnectAsMaster`) on the same channels; with `storageSessions`
 * (WebRTC ingestion), `DescribeMediaStorageConfiguration` and the served roles' join actions
 * (`JoinStorageSession` for the master, `JoinStorageSessionAsViewer` for viewers) on the same
 * channels, and none of them without it. No wildcard action, no `*` resource (DESIGN.md §2). Each
 * request's session policy narrows it to one channel and purpose.
 */
export function scopedRoleStatements(
  channelArns: readonly string[],
  signalingRoles: readonly ChannelRole[],
  storageSessions = false,
): PolicyStatementJson[] {
  const resources = [...channelArns];
  const statements: PolicyStatementJson[] = [
    { Effect: 'Allow', Action: [...KVS_ACTIONS], Resource: resources },
  ];
  if (signalingRoles.length > 0) {
    const connect = signalingRoles.map(connectPermission);
    statements.push({ Effect: 'Allow', Action: connect, Resource: resources });
  }
  const storage = storageSessions ? storagePermissions(signalingRoles) : [];
  if (storage.length > 0) statements.push({ Effect: 'Allow', Action: storage, Resource: resources });
  return statements;
}

/** The resources the execution role's own statements name. */
export interface ExecutionRoleResources {
  /** The scoped role, the only role the function may assume. */
  readonly scopedRoleArn: string;
  /** The blocked-callers parameter, the only parameter the function may read. */
  readonly blockedCallersParameterArn: string;
}

/**
 * The execution role's statements about AWS APIs the broker calls besides its logs and table
 * (those come from CDK grants): `sts:AssumeRole` on the scoped role only, `ssm:GetParameter` on
 * the blocked-callers parameter only. No `kinesisvideo:*` permission: KVS is called with scoped
 * sessions alone.
 */
export function executionRoleStatements(resources: ExecutionRoleResources): PolicyStatementJson[] {
  return [
    { Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: [resources.scopedRoleArn] },
    { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: [resources.blockedCallersParameterArn] },
  ];
}
