import type {
  ErrorAnswer,
  ErrorCode,
  IceServersAnswer,
  SignalingAnswer,
  StorageSessionAnswer,
} from '@kvs-ice-broker/client/contract';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { VendingError } from '../core/errors';

const STATUS: Record<ErrorCode, number> = {
  InvalidRequest: 400,
  ChannelNotAllowed: 403,
  CallerNotIdentified: 403,
  CallerBlocked: 403,
  ChannelNotFound: 404,
  Throttled: 429,
  UpstreamError: 502,
  Unavailable: 503,
  UpstreamTimeout: 504,
  InternalError: 500,
};
/** `Retry-After` for the statuses that always carry it, when the error names none. */
const DEFAULT_RETRY_AFTER: Partial<Record<ErrorCode, number>> = { Throttled: 1, Unavailable: 5 };

function json(
  statusCode: number,
  body: IceServersAnswer | SignalingAnswer | StorageSessionAnswer | ErrorAnswer,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** A 200 with one of the contract's answers. */
export const okResponse = (
  answer: IceServersAnswer | SignalingAnswer | StorageSessionAnswer,
): APIGatewayProxyStructuredResultV2 => json(200, answer);

/** The one place errors become HTTP: known errors keep their safe message, anything else is a generic 500. */
export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 & { statusCode: number } {
  const known = error instanceof VendingError ? error : new VendingError('InternalError', 'internal error');
  const code = known.code;
  const message = code === 'InternalError' ? 'internal error' : known.message;
  const retryAfter = known.retryAfterSeconds ?? DEFAULT_RETRY_AFTER[code];
  const headers: Record<string, string> =
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  const body: ErrorAnswer = { error: { code, message } };
  return json(STATUS[code], body, headers) as APIGatewayProxyStructuredResultV2 & {
    statusCode: number;
  };
}
