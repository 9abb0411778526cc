import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { type Emulator, OPERATION_MODELS, type Operation } from '../../../../local/emulator';
import { assumeScopedRole, type Credentials } from './emulator';

/** A response as it came off the wire, with the error code wherever its protocol puts it. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** `x-amzn-ErrorType` (REST-JSON), `__type` (awsJson), `<Code>` (awsQuery); undefined on success. */
  readonly code: string | undefined;
}

/** An awsQuery form of `input`: Action, Version and each member as a string. */
function form(operation: Operation, input: Record<string, unknown>): string {
  const params = new URLSearchParams({ Action: operation, Version: '2011-06-15' });
  for (const [name, value] of Object.entries(input)) params.set(name, String(value));
  return params.toString();
}

/**
 * Sends one operation as an AWS SDK would (its model's protocol, URI, target and signing name,
 * SigV4-signed), to the endpoint that serves it unless `endpoint` says otherwise.
 */
export async function callOperation(
  emulator: Emulator,
  operation: Operation,
  input: Record<string, unknown>,
  credentials: Credentials,
  endpoint?: string,
): Promise<WireAnswer> {
  const model = OPERATION_MODELS[operation];
  const base =
    endpoint ??
    (model.endpoint === 'signaling'
      ? emulator.signalingEndpoints.https
      : model.endpoint === 'storage'
        ? emulator.storageEndpoint
        : emulator.url);
  const url = new URL(base);
  const headers: Record<string, string> = { host: url.host };
  let body: string;
  if (model.protocol === 'awsQuery') {
    body = form(operation, input);
    headers['content-type'] = 'application/x-www-form-urlencoded';
  } else {
    body = JSON.stringify(input);
    headers['content-type'] =
      model.protocol === 'awsJson' ? 'application/x-amz-json-1.1' : 'application/json';
    if (model.protocol === 'awsJson' && model.target) headers['x-amz-target'] = model.target;
  }
  const signer = new SignatureV4({
    credentials,
    region: emulator.region,
    service: model.service,
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: model.http.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: model.http.requestUri,
    query: {},
    headers,
    body,
  });
  const { host: _host, ...sent } = signed.headers;
  const response = await fetch(`${base}${model.http.requestUri}`, {
    method: model.http.method,
    headers: sent,
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    code: errorCode(model.protocol, response, text),
  };
}

function errorCode(protocol: string, response: Response, text: string): string | undefined {
  if (response.ok) return undefined;
  if (protocol === 'restJson') return response.headers.get('x-amzn-errortype') ?? undefined;
  if (protocol === 'awsJson') return (JSON.parse(text) as { __type?: string }).__type;
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}

/** A call of `operation` that succeeds: who signs it and with what input. */
export interface ValidCall {
  readonly credentials: Credentials;
  readonly input: Record<string, unknown>;
}

/**
 * For each operation, a caller allowed to make it and an input it answers with 200: the function
 * (execution credentials) for AssumeRole and GetParameter, a scoped session for the two KVS calls
 * the function makes, the developer user for describing and listing channels.
 */
export async function validCalls(
  emulator: Emulator,
  parameter: string,
): Promise<Readonly<Record<Operation, ValidCall>>> {
  const session = await assumeScopedRole(emulator);
  const demo = emulator.channelArns.get('demo') ?? '';
  const execution = emulator.executionCredentials;
  const developer = emulator.developerCredentials;
  return {
    AssumeRole: {
      credentials: execution,
      input: { RoleArn: emulator.scopedRoleArn, RoleSessionName: 'wire' },
    },
    GetCallerIdentity: { credentials: developer, input: {} },
    GetSignalingChannelEndpoint: {
      credentials: session,
      input: {
        ChannelARN: demo,
        SingleMasterChannelEndpointConfiguration: { Protocols: ['HTTPS'], Role: 'VIEWER' },
      },
    },
    DescribeSignalingChannel: { credentials: developer, input: { ChannelName: 'demo' } },
    ListSignalingChannels: { credentials: developer, input: {} },
    GetIceServerConfig: {
      credentials: session,
      input: { ChannelARN: demo, ClientId: 'wire', Service: 'TURN' },
    },
    DescribeMediaStorageConfiguration: { credentials: developer, input: { ChannelName: 'demo' } },
    // The storage API's joins need an emulator whose scoped role has them (storageSessions) and
    // whose `demo` records media (STORES_MEDIA); with no master or viewer connected, no offer is sent.
    JoinStorageSession: { credentials: session, input: { channelArn: demo } },
    JoinStorageSessionAsViewer: { credentials: session, input: { channelArn: demo, clientId: 'wire' } },
    GetParameter: { credentials: execution, input: { Name: parameter } },
  };
}
