import { type AuthFailureReason, AwsError, resourceNotFound } from './errors';

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Escapes text for an XML element or attribute value (awsQuery bodies). */
export const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? c);

/** `<name>escaped text</name>`, an element of an awsQuery (STS) body. */
export const element = (name: string, text: string): string => `<${name}>${escapeXml(text)}</${name}>`;

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

/** The code and status each protocol answers a failed SigV4 check with, as STS and KVS do. */
const AUTH_ERRORS: Record<AuthFailureReason, { awsQuery: [string, number]; restJson: [string, number] }> = {
  missing: {
    awsQuery: ['MissingAuthenticationToken', 403],
    restJson: ['MissingAuthenticationTokenException', 403],
  },
  incomplete: { awsQuery: ['IncompleteSignature', 400], restJson: ['IncompleteSignatureException', 400] },
  unknownKey: { awsQuery: ['InvalidClientTokenId', 403], restJson: ['UnrecognizedClientException', 403] },
  signature: { awsQuery: ['SignatureDoesNotMatch', 403], restJson: ['InvalidSignatureException', 403] },
  stale: { awsQuery: ['SignatureDoesNotMatch', 403], restJson: ['InvalidSignatureException', 403] },
  expired: { awsQuery: ['ExpiredToken', 400], restJson: ['ExpiredTokenException', 403] },
};

const authError = (protocol: 'awsQuery' | 'restJson', reason: AuthFailureReason, message: string) => {
  const [code, status] = AUTH_ERRORS[reason][protocol];
  return new AwsError(code, status, message);
};

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const xmlHeaders = (requestId: string) => ({ 'content-type': 'text/xml', 'x-amzn-requestid': requestId });

/** STS: awsQuery, XML bodies. */
export const awsQuery: Protocol = {
  authError: (reason, message) => authError('awsQuery', reason, message),
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
  authError: (reason, message) => authError('restJson', reason, message),
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
