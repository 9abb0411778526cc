import type { Principal } from './credentials';
import { AwsError, resourceNotFound } from './errors';
import type { EmulatorContext, OperationHandler, PreparedCall } from './operation';
import { restJson } from './protocols';

/** KVS's ChannelARN constraint; the capture is the channel's name. */
export const CHANNEL_ARN = /^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+\/([a-zA-Z0-9_.-]+)\/[0-9]+$/;
/** KVS's constraint on ClientId and Username. */
export const CLIENT_ID = /^[a-zA-Z0-9_.-]{1,256}$/;

/** KVS's 400 for invalid input. */
export const invalidArgument = (message: string) => new AwsError('InvalidArgumentException', 400, message);

/** Parses a REST-JSON body; anything but a JSON object is a SerializationException, as in AWS. */
function parseJsonObject(body: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 400, 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AwsError('SerializationException', 400, 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** A validated ChannelARN and the channel name it carries. */
export interface ChannelRef {
  readonly arn: string;
  readonly name: string;
}

function channelRef(value: unknown): ChannelRef {
  if (value === undefined || value === null) throw invalidArgument('ChannelARN is required.');
  if (typeof value !== 'string' || value.length > 1024)
    throw invalidArgument('ChannelARN is not a valid ARN.');
  const name = CHANNEL_ARN.exec(value)?.[1];
  if (name === undefined) throw invalidArgument(`ChannelARN ${value} is not a valid channel ARN.`);
  return { arn: value, name };
}

/** Optional string field matching `pattern`, else InvalidArgumentException. */
export function optionalString(value: unknown, field: string, pattern: RegExp): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw invalidArgument(`${field} must match ${pattern.source}.`);
  }
  return value;
}

/**
 * Authorizes a KVS call as IAM does (lib/iam-policies.ts's statements, a scoped session's
 * intersected with its session policy; which channels exist is a separate check, so a channel
 * the role grants that is gone is a ResourceNotFoundException). The execution credentials have
 * no KVS permission at all. A refusal is `deniedCode` with status 401, as both KVS APIs answer it.
 */
function authorizeChannel(
  ctx: EmulatorContext,
  principal: Principal,
  action: string,
  channel: ChannelRef,
  deniedCode: 'AccessDeniedException' | 'NotAuthorizedException',
): void {
  ctx.iam.authorize(principal, action, channel.arn, deniedCode, 401);
}

/** Throws ResourceNotFoundException unless the channel exists. */
function requireChannel(ctx: EmulatorContext, channel: ChannelRef): void {
  if (ctx.channelArns.get(channel.name) !== channel.arn) {
    throw resourceNotFound();
  }
}

/** One KVS operation on the channel its `ChannelARN` names. */
export interface ChannelOperation {
  readonly operation: 'GetSignalingChannelEndpoint' | 'GetIceServerConfig';
  readonly path: string;
  /** The code of a refusal: `AccessDeniedException` (KVS) or `NotAuthorizedException` (KVS signaling). */
  readonly deniedCode: 'AccessDeniedException' | 'NotAuthorizedException';
  /**
   * Validates the rest of the input (throws an AwsError) and returns the call's `ClientId`, if
   * any, and its answer, computed once the channel is known to exist.
   */
  accept(
    input: Record<string, unknown>,
    channel: ChannelRef,
  ): { readonly clientId?: string; answer(): string };
}

/**
 * A REST-JSON KVS operation handler: JSON object body, valid `ChannelARN`, the operation's own
 * input checks, authorization of `kinesisvideo:<operation>` on the channel, then (when the call
 * runs) ResourceNotFoundException unless the channel exists. That order is AWS's: a caller
 * without access learns nothing about which channels exist.
 */
export function channelOperation(ctx: EmulatorContext, spec: ChannelOperation): OperationHandler {
  return {
    operation: spec.operation,
    path: spec.path,
    service: 'kinesisvideo',
    protocol: restJson,
    prepare(body: Buffer, principal: Principal): PreparedCall {
      const input = parseJsonObject(body);
      const channel = channelRef(input.ChannelARN);
      const { clientId, answer } = spec.accept(input, channel);
      authorizeChannel(ctx, principal, `kinesisvideo:${spec.operation}`, channel, spec.deniedCode);
      return {
        channel: channel.name,
        clientId,
        run: () => {
          requireChannel(ctx, channel);
          return answer();
        },
      };
    },
  };
}
