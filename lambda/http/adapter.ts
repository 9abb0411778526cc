import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { upstreamStatus } from '../aws/errors';
import { VendingError } from '../core/errors';
import type { Clock } from '../core/ports';
import type { IceVendor } from '../core/vendor';
import { type AuthSettings, callerOf } from './identity';
import { parseVendRequest } from './request';
import { errorResponse, okResponse } from './response';

export interface ApiHandlerDependencies {
  readonly vendor: Pick<IceVendor, 'vend'>;
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
function failureDetails(error: unknown): Record<string, unknown> {
  if (!(error instanceof VendingError)) return { error };
  const cause = error.cause as { name?: string } | undefined;
  return { errorCode: error.code, upstreamError: cause?.name, upstreamStatus: upstreamStatus(cause) };
}

/** The thin HTTP adapter: API Gateway v2 event in, vending, HTTP response out. */
export function createApiHandler({
  vendor,
  logger,
  metrics,
  auth,
  clock = Date.now,
}: ApiHandlerDependencies): ApiHandler {
  return async (event, context) => {
    const started = clock();
    if (context) logger.addContext(context);
    logger.appendKeys({
      apiRequestId: event.requestContext?.requestId,
      channel: event.pathParameters?.channel?.slice(0, 256),
    });
    try {
      const caller = callerOf(event, auth);
      logger.appendKeys({ clientId: caller.clientId });
      const result = await vendor.vend(parseVendRequest(event, caller));
      logger.info('vended ICE servers', {
        outcome: 'ok',
        status: 200,
        latencyMs: clock() - started,
        ttl: result.ttl,
        turnServerSets: result.iceServers.length - 1,
      });
      return okResponse(result);
    } catch (error) {
      const response = errorResponse(error);
      const fields = {
        outcome: 'error',
        status: response.statusCode,
        latencyMs: clock() - started,
        ...failureDetails(error),
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
