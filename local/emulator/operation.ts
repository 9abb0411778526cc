import type { CredentialStore, Principal } from './credentials';
import type { AccountIam } from './iam';
import type { EmulatorConfig } from './options';
import type { Protocol } from './protocols';
import type { Operation } from './types';

/** Everything an operation needs to know about the emulated account. */
export interface EmulatorContext extends EmulatorConfig {
  /** `http://127.0.0.1:PORT`: the HTTPS signaling endpoint KVS hands out. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT`: the base of the WSS endpoints KVS hands out (`/master`, `/viewer`). */
  readonly signalingUrl: string;
  /** Channel name to ARN. */
  readonly channelArns: ReadonlyMap<string, string>;
  readonly credentials: CredentialStore;
  readonly iam: AccountIam;
}

/** A request that passed validation and authorization and is about to reach its operation. */
export interface PreparedCall {
  /** Channel name, for stats and channel-scoped faults. */
  readonly channel?: string;
  readonly clientId?: string;
  /** Runs the operation: the 200 body, or throws an AwsError. */
  run(requestId: string): string;
}

/** One AWS operation: where it is routed, how it is signed and spelled, what it does. */
export interface OperationHandler {
  readonly operation: Operation;
  readonly path: string;
  /** SigV4 service name in the credential scope. */
  readonly service: 'sts' | 'kinesisvideo';
  readonly protocol: Protocol;
  /** Parses, validates and authorizes a request; throws an AwsError to reject it. */
  prepare(body: Buffer, principal: Principal): PreparedCall;
}
