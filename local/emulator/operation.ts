import type { CredentialStore, Principal } from './credentials';
import type { AccountIam } from './iam';
import { OPERATION_MODELS, type Operation, type OperationModel } from './model';
import type { EmulatorConfig } from './options';
import { type Protocol, protocolOf } from './protocols';
import type { SignalingEndpoints } from './types';

/** Everything an operation needs to know about the emulated account. */
export interface EmulatorContext extends EmulatorConfig {
  /** `http://127.0.0.1:PORT`: STS, SSM and the KVS control plane. */
  readonly url: string;
  /** The signaling endpoints `GetSignalingChannelEndpoint` hands out. */
  readonly signalingEndpoints: SignalingEndpoints;
  /** Channel name to ARN. */
  readonly channelArns: ReadonlyMap<string, string>;
  /** When the channels were created (epoch milliseconds, the emulator clock at start): their ARNs end in it. */
  readonly createdAt: number;
  readonly credentials: CredentialStore;
  readonly iam: AccountIam;
  /** WebRTC ingestion: the channels that record media, their `WEBRTC` endpoint, and the recording peer. */
  readonly storage: EmulatedStorage;
}

/** The emulator's WebRTC ingestion (local/emulator/storage-agent.ts). */
export interface EmulatedStorage {
  /** Names of the channels whose media storage is `ENABLED`. */
  readonly channels: ReadonlySet<string>;
  /** The storage API's endpoint (`GetSignalingChannelEndpoint`, protocol `WEBRTC`). */
  readonly endpoint: string;
  /** The Kinesis video stream a channel records into. */
  streamArn(channel: string): string;
  /** Has the recording peer join the master (`clientId` undefined) or a viewer; throws an AwsError as KVS refuses. */
  join(channel: string, clientId?: string): void;
}

/** A request that passed validation and authorization and is about to reach its operation. */
export interface PreparedCall {
  /** Channel name, for stats and channel-scoped faults. */
  readonly channel?: string;
  readonly clientId?: string;
  /** Runs the operation: the 200 body, or throws an AwsError. */
  run(requestId: string): string;
}

/** One AWS operation: its row of the model table, and what it does. */
export interface OperationHandler {
  readonly operation: Operation;
  readonly model: OperationModel;
  readonly protocol: Protocol;
  /**
   * Checks what the shapes cannot (semantics, authorization) of an input that passed its shape's
   * validation; throws an AwsError to reject it.
   */
  prepare(input: Record<string, unknown>, principal: Principal): PreparedCall;
}

/** A handler for `operation` (its model and protocol from the table) with the given behaviour. */
export const handler = (operation: Operation, prepare: OperationHandler['prepare']): OperationHandler => {
  const model = OPERATION_MODELS[operation];
  return { operation, model, protocol: protocolOf(model), prepare };
};
