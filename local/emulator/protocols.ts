import { type AuthFailureReason, AwsError } from './errors';
import { type EndpointKind, MESSAGE_MEMBERS, type OperationModel, type ProtocolName } from './model';

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
  readonly name: ProtocolName;
  authError(reason: AuthFailureReason, message: string): AwsError;
  throttle(): AwsError;
  serverError(status: number): AwsError;
  error(error: AwsError, requestId: string): WireResponse;
  ok(body: string, requestId: string): WireResponse;
  /** A 200 body of `operation` that the SDK's deserializer rejects. */
  malformed(operation: string, requestId: string): WireResponse;
}

const serverError = (status: number): AwsError =>
  new AwsError(
    status === 503 ? 'ServiceUnavailable' : 'InternalFailure',
    status,
    'An internal error occurred.',
  );

/** The code and status each protocol answers a failed SigV4 check with, as STS, KVS and SSM do. */
const AUTH_ERRORS: Record<AuthFailureReason, Record<ProtocolName, [string, number]>> = {
  missing: {
    awsQuery: ['MissingAuthenticationToken', 403],
    restJson: ['MissingAuthenticationTokenException', 403],
    awsJson: ['MissingAuthenticationTokenException', 400],
  },
  incomplete: {
    awsQuery: ['IncompleteSignature', 400],
    restJson: ['IncompleteSignatureException', 400],
    awsJson: ['IncompleteSignatureException', 400],
  },
  unknownKey: {
    awsQuery: ['InvalidClientTokenId', 403],
    restJson: ['UnrecognizedClientException', 403],
    awsJson: ['UnrecognizedClientException', 400],
  },
  signature: {
    awsQuery: ['SignatureDoesNotMatch', 403],
    restJson: ['InvalidSignatureException', 403],
    awsJson: ['InvalidSignatureException', 400],
  },
  stale: {
    awsQuery: ['SignatureDoesNotMatch', 403],
    restJson: ['InvalidSignatureException', 403],
    awsJson: ['InvalidSignatureException', 400],
  },
  expired: {
    awsQuery: ['ExpiredToken', 400],
    restJson: ['ExpiredTokenException', 403],
    awsJson: ['ExpiredTokenException', 400],
  },
};

const authError = (protocol: ProtocolName, reason: AuthFailureReason, message: string) => {
  const [code, status] = AUTH_ERRORS[reason][protocol];
  return new AwsError(code, status, message);
};

/**
 * The member a JSON error body at `endpoint` carries its message in: the modelled error's own
 * (`Message` for most errors of KVS's control plane and signaling API, `message` for
 * InvalidClientException, SessionExpiredException and every error of the storage API, as the
 * models declare them and botocore reads them into `e.response`), `message` for errors no model
 * declares (authentication, serialization).
 */
const messageBody = (error: AwsError, endpoint: EndpointKind): Record<string, string> => ({
  [MESSAGE_MEMBERS[endpoint].get(error.code) ?? 'message']: error.message,
});

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const xmlHeaders = (requestId: string) => ({ 'content-type': 'text/xml', 'x-amzn-requestid': requestId });

/** STS: awsQuery, XML bodies. */
export const awsQuery: Protocol = {
  name: 'awsQuery',
  authError: (reason, message) => authError('awsQuery', reason, message),
  throttle: () => new AwsError('Throttling', 400, 'Rate exceeded'),
  serverError,
  error: (error, requestId) => ({
    status: error.status,
    headers: xmlHeaders(requestId),
    body:
      `<ErrorResponse xmlns="${STS_NS}"><Error><Type>${error.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
      `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  }),
  ok: (body, requestId) => ({ status: 200, headers: xmlHeaders(requestId), body }),
  malformed: (operation, requestId) => ({
    status: 200,
    headers: xmlHeaders(requestId),
    body: `<${operation}Response xmlns="${STS_NS}"><${operation}Result><Credentials><AccessKeyId>AS`,
  }),
};

const jsonHeaders = (contentType: string, requestId: string) => ({
  'content-type': contentType,
  'x-amzn-requestid': requestId,
});

/** KVS's control plane, signaling API or storage API (`endpoint`): REST-JSON; the error code travels in `x-amzn-ErrorType`. */
const restJsonAt = (endpoint: EndpointKind): Protocol => ({
  name: 'restJson',
  authError: (reason, message) => authError('restJson', reason, message),
  throttle: () => new AwsError('ClientLimitExceededException', 400, 'The request was throttled.'),
  serverError,
  error: (error, requestId) => ({
    status: error.status,
    headers: { ...jsonHeaders('application/json', requestId), 'x-amzn-errortype': error.code },
    body: JSON.stringify(messageBody(error, endpoint)),
  }),
  ok: (body, requestId) => ({ status: 200, headers: jsonHeaders('application/json', requestId), body }),
  malformed: (_operation, requestId) => ({
    status: 200,
    headers: jsonHeaders('application/json', requestId),
    body: '{"IceServerList":[{"Uris":',
  }),
});

/** REST-JSON at each endpoint: the same wire format, each API's own message members. */
export const REST_JSON: Readonly<Record<EndpointKind, Protocol>> = {
  control: restJsonAt('control'),
  signaling: restJsonAt('signaling'),
  storage: restJsonAt('storage'),
};
/** KVS's control plane (REST-JSON). */
export const restJson = REST_JSON.control;

const AWS_JSON_1_1 = 'application/x-amz-json-1.1';

/** SSM: awsJson 1.1, the operation in `X-Amz-Target`, the error code in the body's `__type`. */
export const awsJson: Protocol = {
  name: 'awsJson',
  authError: (reason, message) => authError('awsJson', reason, message),
  throttle: () => new AwsError('ThrottlingException', 400, 'Rate exceeded'),
  serverError: (status) =>
    status === 503
      ? new AwsError('ServiceUnavailable', 503, 'The service is unavailable.')
      : new AwsError('InternalServerError', status, 'An internal error occurred.'),
  error: (error, requestId) => ({
    status: error.status,
    headers: jsonHeaders(AWS_JSON_1_1, requestId),
    body: JSON.stringify({ __type: error.code, ...messageBody(error, 'control') }),
  }),
  ok: (body, requestId) => ({ status: 200, headers: jsonHeaders(AWS_JSON_1_1, requestId), body }),
  malformed: (_operation, requestId) => ({
    status: 200,
    headers: jsonHeaders(AWS_JSON_1_1, requestId),
    body: '{"Parameter":{"Name":',
  }),
};

const PROTOCOLS: Readonly<Record<Exclude<ProtocolName, 'restJson'>, Protocol>> = { awsQuery, awsJson };

/** The protocol an operation is answered in: its model's, at the endpoint that serves it. */
export const protocolOf = (model: Pick<OperationModel, 'protocol' | 'endpoint'>): Protocol =>
  model.protocol === 'restJson' ? REST_JSON[model.endpoint] : PROTOCOLS[model.protocol];

/**
 * KVS's answer to an operation sent to the wrong endpoint (`GetIceServerConfig` to the control
 * plane's `kinesisvideo.<region>.amazonaws.com` instead of the channel's HTTPS endpoint), or to
 * a path no operation has: 403 with an XML body and no `x-amzn-ErrorType`, so the SDKs report the
 * status alone (botocore: "An error occurred (403) when calling the GetIceServerConfig operation";
 * aws/aws-cli#5857, aws/aws-sdk#405; the Ruby SDK says Forbidden, aws/aws-sdk-ruby#2293). One
 * report (boto/boto3#2909) saw `UnknownOperationException` instead; the 403 is the answer three
 * reports with bodies agree on, so the emulator gives it.
 */
export function wrongEndpoint(requestId: string): WireResponse {
  return {
    status: 403,
    headers: { 'content-type': 'application/xml', 'x-amzn-requestid': requestId },
    body:
      '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n' +
      '</AccessDeniedException>\n',
  };
}
