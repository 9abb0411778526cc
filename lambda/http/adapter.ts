import type { Logger } from '@aws-lambda-powertools/logger';
import {
  CHANNEL_ROLES,
  type ChannelRole,
  SIGNALING_ROUTE_PATHS,
  STORAGE_SESSION_ROUTE_PATHS,
} from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { upstreamStatus } from '../aws/errors';
import type { BlockedCallersCheck } from '../core/blocked-callers';
import { VendingError } from '../core/errors';
import type { Clock } from '../core/ports';
import { notServed, type SignalingVendor } from '../core/signaling';
import type { StorageSessions } from '../core/storage';
import type { IceVendor } from '../core/vendor';
import { type AuthSettings, type Caller, callerOf } from './identity';
import { parseSignalingRequest, parseStorageSessionRequest, parseVendRequest } from './request';
import { RequestSummary } from './request-summary';
import { errorResponse, okResponse } from './response';

export interface ApiHandlerDependencies {
  readonly vendor: Pick<IceVendor, 'vend'>;
  /** Serves the signaling routes (`POST /v1/channels/{channel}/viewer|master`); absent: they are refused. */
  readonly signaling?: Pick<SignalingVendor, 'connect'>;
  /** Serves the storage-session routes (`POST /v1/channels/{channel}/storage-session/viewer|master`); absent: they are refused. */
  readonly storage?: Pick<StorageSessions, 'join'>;
  /** The operator's list of blocked callers (403 `CallerBlocked`): required, so a wiring that forgets it cannot serve everyone. */
  readonly blockedCallers: Pick<BlockedCallersCheck, 'check'>;
  /** The deployment's auth mode (and `jwt` channels claim): whom a request must come from. */
  readonly auth: AuthSettings;
  readonly logger: Logger;
  /** Published after each request. */
  readonly metrics?: { flush(): void };
  readonly clock?: Clock;
}

export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Details of a failure that are safe to log: names and statuses, never upstream messages. */
export function failureDetails(error: unknown): Record<string, unknown> {
  if (!(error instanceof VendingError)) return { error };
  const cause = error.cause as { name?: string; code?: unknown } | undefined;
  // A system error's code (ENOTFOUND, ECONNREFUSED, ETIMEDOUT …) says why AWS was not reached;
  // only that shape is logged, never the message.
  const code =
    typeof cause?.code === 'string' && /^E[A-Z0-9_]{1,30}$/.test(cause.code) ? cause.code : undefined;
  return {
    errorCode: error.code,
    upstreamError: cause?.name,
    upstreamStatus: upstreamStatus(cause),
    ...(code !== undefined ? { upstreamErrorCode: code } : {}),
  };
}

/** The role whose route of `paths` (one per role) the event is for, by its route key, or undefined. */
function roleOf(
  event: APIGatewayProxyEventV2,
  paths: Readonly<Record<ChannelRole, string>>,
): ChannelRole | undefined {
  return CHANNEL_ROLES.find((role) => event.routeKey === `POST ${paths[role]}`);
}

/** The thin HTTP adapter: API Gateway v2 event in, vending, HTTP response out. */
export function createApiHandler({
  vendor,
  signaling,
  storage,
  blockedCallers,
  logger,
  metrics,
  auth,
  clock = Date.now,
}: ApiHandlerDependencies): ApiHandler {
  return async (event, context) => {
    const started = clock();
    // What the request costs upstream (`cache`, `upstreamCalls`), for its log line.
    const summary = new RequestSummary();
    /** A route's answer, logged as `message` with `fields` (never a credential or URL), then sent. */
    const answered = (
      message: string,
      fields: Record<string, unknown>,
      answer: Parameters<typeof okResponse>[0],
    ) => {
      logger.info(message, {
        outcome: 'ok',
        status: 200,
        latencyMs: clock() - started,
        ...fields,
        ...summary.fields(),
      });
      return okResponse(answer);
    };
    /** A signaling route: the bundle, logged without its URL (it carries credentials). */
    const connect = async (role: ChannelRole, caller: Caller) => {
      if (!signaling) throw notServed(role);
      const result = await signaling.connect({
        ...parseSignalingRequest(event, caller, role),
        observer: summary,
      });
      return answered(
        'vended signaling connection',
        {
          role: result.role,
          viewerClientId: result.clientId,
          viewerSlot: result.viewerSlot,
          ttl: result.ttl,
          signalingExpiresAt: result.signaling.expiresAt,
        },
        result,
      );
    };
    /** A storage-session route: KVS's recording peer joins the caller's signaling connection of `role`. */
    const joinStorage = async (role: ChannelRole, caller: Caller) => {
      if (!storage) throw new VendingError('ChannelNotAllowed', 'this API does not serve storage sessions');
      const result = await storage.join({
        ...parseStorageSessionRequest(event, caller, role),
        observer: summary,
      });
      return answered(
        'joined storage session',
        { role: result.role, viewerClientId: result.clientId },
        result,
      );
    };
    if (context) logger.addContext(context);
    logger.appendKeys({
      apiRequestId: event.requestContext?.requestId,
      channel: event.pathParameters?.channel?.slice(0, 256),
    });
    try {
      const caller = callerOf(event, auth);
      logger.appendKeys({ clientId: caller.clientId });
      if (caller.ignoredClaimElements) {
        logger.warn('channel claim elements granted nothing', {
          ignoredClaimElements: caller.ignoredClaimElements,
        });
      }
      await blockedCallers.check(caller);
      const joining = roleOf(event, STORAGE_SESSION_ROUTE_PATHS);
      if (joining !== undefined) return await joinStorage(joining, caller);
      const role = roleOf(event, SIGNALING_ROUTE_PATHS);
      if (role !== undefined) return await connect(role, caller);
      const result = await vendor.vend({ ...parseVendRequest(event, caller), observer: summary });
      return answered(
        'vended ICE servers',
        { ttl: result.ttl, turnServerSets: result.iceServers.length - 1 },
        result,
      );
    } catch (error) {
      const response = errorResponse(error);
      const fields = {
        outcome: 'error',
        status: response.statusCode,
        latencyMs: clock() - started,
        ...failureDetails(error),
        ...summary.fields(),
      };
      if (response.statusCode >= 500) logger.error('request failed', fields);
      else logger.warn('request refused', fields);
      return response;
    } finally {
      metrics?.flush();
      logger.resetKeys();
    }
  };
}
