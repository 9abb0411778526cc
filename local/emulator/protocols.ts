import { type AuthFailureReason, AwsError, resourceNotFound } from './errors';
import { escapeXml } from './xml';

/** A rendered HTTP response. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** How one AWS protocol spells errors and successes on the wire. */
export interface Protocol {
  authError(reason: AuthFailureReason, message: string): AwsError;
  throttle(): AwsError;
  serverError(status: number): AwsError;
  /** `null` when the protocol's operations have no not-found error (STS). */
  notFound(): AwsError | null;
  error(error: AwsError, requestId: string): WireResponse;
  ok(body: string, requestId: string): WireResponse;
  /** A 200 body the SDK's deserializer rejects. */
  malformed(requestId: string): WireResponse;
}

const serverError = (status: number): AwsError =>
  new AwsError(
    status === 503 ? 'ServiceUnavailable' : 'InternalFailure',
    status,
    'An internal error occurred.',
  );

const STS_AUTH: Record<AuthFailureReason, [string, number]> = {
  missing: ['MissingAuthenticationToken', 403],
  incomplete: ['IncompleteSignature', 400],
  unknownKey: ['InvalidClientTokenId', 403],
  signature: ['SignatureDoesNotMatch', 403],
  stale: ['SignatureDoesNotMatch', 403],
  expired: ['ExpiredToken', 400],
};

const JSON_AUTH: Record<AuthFailureReason, [string, number]> = {
  missing: ['MissingAuthenticationTokenException', 403],
  incomplete: ['IncompleteSignatureException', 400],
  unknownKey: ['UnrecognizedClientException', 403],
  signature: ['InvalidSignatureException', 403],
  stale: ['InvalidSignatureException', 403],
  expired: ['ExpiredTokenException', 403],
};

const authError = (
  table: Record<AuthFailureReason, [string, number]>,
  reason: AuthFailureReason,
  message: string,
) => new AwsError(table[reason][0], table[reason][1], message);

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const xmlHeaders = (requestId: string) => ({ 'content-type': 'text/xml', 'x-amzn-requestid': requestId });

/** STS: awsQuery, XML bodies. */
export const awsQuery: Protocol = {
  authError: (reason, message) => authError(STS_AUTH, reason, message),
  throttle: () => new AwsError('Throttling', 400, 'Rate exceeded'),
  serverError,
  notFound: () => null,
  error: (error, requestId) => ({
    status: error.status,
    headers: xmlHeaders(requestId),
    body:
      `<ErrorResponse xmlns="${STS_NS}"><Error><Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  }),
  ok: (body, requestId) => ({ status: 200, headers: xmlHeaders(requestId), body }),
  malformed: (requestId) => ({
    status: 200,
    headers: xmlHeaders(requestId),
    body: `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult><Credentials><AccessKeyId>AS`,
  }),
};

const jsonHeaders = (requestId: string) => ({
  'content-type': 'application/json',
  'x-amzn-requestid': requestId,
});

/** KVS and KVS signaling: REST-JSON. */
export const restJson: Protocol = {
  authError: (reason, message) => authError(JSON_AUTH, reason, message),
  throttle: () => new AwsError('ClientLimitExceededException', 400, 'The request was throttled.'),
  serverError,
  notFound: resourceNotFound,
  error: (error, requestId) => ({
    status: error.status,
    headers: { ...jsonHeaders(requestId), 'x-amzn-errortype': error.code },
    body: JSON.stringify({ message: error.message }),
  }),
  ok: (body, requestId) => ({ status: 200, headers: jsonHeaders(requestId), body }),
  malformed: (requestId) => ({
    status: 200,
    headers: jsonHeaders(requestId),
    body: '{"IceServerList":[{"Uris":',
  }),
};
