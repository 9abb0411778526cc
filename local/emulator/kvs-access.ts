import type { Principal } from './credentials';
import { AwsError, resourceNotFound } from './errors';
import type { Operation } from './model';
import { type EmulatorContext, handler, type OperationHandler, type PreparedCall } from './operation';

/** KVS's ChannelARN constraint (any partition); the capture is the channel's name. */
export const CHANNEL_ARN = /^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+\/([a-zA-Z0-9_.-]+)\/[0-9]+$/;
/** KVS's constraint on ClientId and Username. */
export const CLIENT_ID = /^[a-zA-Z0-9_.-]{1,256}$/;

/** KVS's 400 for invalid input. */
export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', 400, message);

/** A ChannelARN (valid by its shape) and the channel name it carries. */
export interface ChannelRef {
  readonly arn: string;
  readonly name: string;
}

/** The channel a ChannelARN that passed its shape's pattern names. */
export function channelRef(arn: string): ChannelRef {
  const name = CHANNEL_ARN.exec(arn)?.[1];
  if (name === undefined) throw invalidArgument(`ChannelARN ${arn} is not a valid channel ARN.`);
  return { arn, name };
}

/** Throws ResourceNotFoundException unless the channel exists. */
export function requireChannel(ctx: EmulatorContext, channel: ChannelRef): void {
  if (ctx.channelArns.get(channel.name) !== channel.arn) throw resourceNotFound();
}

/** The code of a refusal: `AccessDeniedException` (KVS) or `NotAuthorizedException` (KVS signaling), both 401. */
export type DeniedCode = 'AccessDeniedException' | 'NotAuthorizedException';

/**
 * Authorizes `kinesisvideo:<action>` on `resource` as IAM does (the principal's policies, a scoped
 * session's intersected with its session policy); KVS answers a refusal with 401.
 */
export function authorizeKvs(
  ctx: EmulatorContext,
  principal: Principal,
  action: string,
  resource: string,
  deniedCode: DeniedCode,
  deniedStatus: 401 | 403 = 401,
): void {
  ctx.iam.authorize(principal, `kinesisvideo:${action}`, resource, deniedCode, deniedStatus);
}

/** One KVS operation on the channel its `ChannelARN` names. */
export interface ChannelOperation {
  readonly operation: Extract<
    Operation,
    'GetSignalingChannelEndpoint' | 'GetIceServerConfig' | 'JoinStorageSession' | 'JoinStorageSessionAsViewer'
  >;
  readonly deniedCode: DeniedCode;
  /** The input member with the channel's ARN: `ChannelARN`, or the storage API's `channelArn`. */
  readonly arnMember?: 'ChannelARN' | 'channelArn';
  /** The refusal's HTTP status: 401 (control plane, signaling), 403 (the storage API). */
  readonly deniedStatus?: 401 | 403;
  /** Checks what the shape cannot, and returns the call's `ClientId`, if any, and its answer (run once the channel is known to exist). */
  accept(
    input: Record<string, unknown>,
    channel: ChannelRef,
  ): { readonly clientId?: string; answer(): string };
}

/**
 * A KVS operation on one channel: an input valid by its shape, the operation's own checks,
 * authorization of `kinesisvideo:<operation>` on the channel, then (when the call runs)
 * ResourceNotFoundException unless the channel exists. That order is AWS's: a caller without
 * access learns nothing about which channels exist.
 */
export function channelOperation(ctx: EmulatorContext, spec: ChannelOperation): OperationHandler {
  return handler(spec.operation, (input, principal): PreparedCall => {
    const channel = channelRef(String(input[spec.arnMember ?? 'ChannelARN']));
    const { clientId, answer } = spec.accept(input, channel);
    authorizeKvs(ctx, principal, spec.operation, channel.arn, spec.deniedCode, spec.deniedStatus);
    return {
      channel: channel.name,
      clientId,
      run: () => {
        requireChannel(ctx, channel);
        return answer();
      },
    };
  });
}
