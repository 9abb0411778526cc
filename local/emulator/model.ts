import { type Shape, type StructureShape, structure } from './shapes';

/**
 * The emulated operations as the AWS service models define them (botocore 1.43's
 * `data/<service>/<version>/service-2.json`: sts 2011-06-15, kinesisvideo 2017-09-30,
 * kinesis-video-signaling 2019-12-04, kinesis-video-webrtc-storage 2018-05-10, ssm 2014-11-06): where each is served, how it is called,
 * its input shape and its modelled errors. One row per operation: the router, the validation, the
 * fault injection and the conformance test (test/local/emulator/conformance.test.ts, which reads
 * the models where botocore is installed) all read this table.
 */

/** The operations the emulator serves. */
export const OPERATIONS = [
  'AssumeRole',
  'GetCallerIdentity',
  'GetSignalingChannelEndpoint',
  'DescribeSignalingChannel',
  'ListSignalingChannels',
  'GetIceServerConfig',
  'DescribeMediaStorageConfiguration',
  'JoinStorageSession',
  'JoinStorageSessionAsViewer',
  'GetParameter',
] as const;

/** One of {@link OPERATIONS}. */
export type Operation = (typeof OPERATIONS)[number];

/** The SigV4 signing name of each service (both KVS APIs sign as `kinesisvideo`). */
export type SigningService = 'sts' | 'kinesisvideo' | 'ssm';

/** AWS's wire protocols: STS is awsQuery (form in, XML out), KVS REST-JSON, SSM awsJson 1.1. */
export type ProtocolName = 'awsQuery' | 'restJson' | 'awsJson';

/**
 * Where an operation is served: `control` is the emulator's main port (STS, SSM and the KVS
 * control plane, `kinesisvideo.<region>.amazonaws.com` on AWS); `signaling` is the HTTPS endpoint
 * `GetSignalingChannelEndpoint` hands out (`https://r-….kinesisvideo.<region>.amazonaws.com`);
 * `storage` the `WEBRTC` endpoint it hands out for a channel that records media (the WebRTC
 * storage API, `JoinStorageSession[AsViewer]`).
 */
export type EndpointKind = 'control' | 'signaling' | 'storage';

/** A modelled error: its code (the model's `error.code`, else the shape name), HTTP status and message member. */
export interface ModelledError {
  readonly code: string;
  readonly status: number;
  /** The member that carries the message, as the model names it: botocore reads it into `e.response`. */
  readonly messageMember: 'Message' | 'message';
}

export interface OperationModel {
  readonly service: SigningService;
  readonly protocol: ProtocolName;
  readonly endpoint: EndpointKind;
  readonly http: { readonly method: 'POST'; readonly requestUri: string };
  /** awsQuery `Action`, awsJson `X-Amz-Target`; REST-JSON operations are found by `requestUri`. */
  readonly target?: string;
  readonly input: StructureShape;
  readonly errors: readonly ModelledError[];
}

const CHANNEL_ARN_PATTERN = 'arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+';
const channelArn: Shape = { type: 'string', min: 1, max: 1024, pattern: CHANNEL_ARN_PATTERN };
const channelName: Shape = { type: 'string', min: 1, max: 256, pattern: '[a-zA-Z0-9_.-]+' };
const clientId: Shape = { type: 'string', min: 1, max: 256, pattern: '[a-zA-Z0-9_.-]+' };
const stsArn: Shape = {
  type: 'string',
  min: 20,
  max: 2048,
  pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+',
};

/** A KVS (control plane or signaling) error, all with `Message` but two signaling ones. */
const kvs = (
  code: string,
  status: number,
  messageMember: 'Message' | 'message' = 'Message',
): ModelledError => ({
  code,
  status,
  messageMember,
});

const KVS_CONTROL = {
  invalidArgument: kvs('InvalidArgumentException', 400),
  clientLimit: kvs('ClientLimitExceededException', 400),
  notFound: kvs('ResourceNotFoundException', 404),
  inUse: kvs('ResourceInUseException', 400),
  accessDenied: kvs('AccessDeniedException', 401),
};

/** The storage API's errors: `message`, and AccessDeniedException a 403 (kinesis-video-webrtc-storage 2018-05-10). */
const KVS_STORAGE = [
  kvs('ClientLimitExceededException', 400, 'message'),
  kvs('InvalidArgumentException', 400, 'message'),
  kvs('AccessDeniedException', 403, 'message'),
  kvs('ResourceNotFoundException', 404, 'message'),
];
/** The storage API's ChannelArn (its own pattern, any partition) and ClientId. */
const storageChannelArn: Shape = {
  type: 'string',
  pattern: '^arn:(aws[a-zA-Z-]*):kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+$',
};

export const OPERATION_MODELS: Readonly<Record<Operation, OperationModel>> = {
  AssumeRole: {
    service: 'sts',
    protocol: 'awsQuery',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/' },
    target: 'AssumeRole',
    input: structure(
      {
        RoleArn: stsArn,
        RoleSessionName: { type: 'string', min: 2, max: 64, pattern: '[\\w+=,.@-]*' },
        Policy: { type: 'string', min: 1, pattern: '[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+' },
        DurationSeconds: { type: 'integer', min: 900, max: 43200 },
      },
      ['RoleArn', 'RoleSessionName'],
    ),
    errors: [
      { code: 'MalformedPolicyDocument', status: 400, messageMember: 'message' },
      { code: 'PackedPolicyTooLarge', status: 400, messageMember: 'message' },
      { code: 'RegionDisabledException', status: 403, messageMember: 'message' },
      { code: 'ExpiredTokenException', status: 400, messageMember: 'message' },
    ],
  },
  GetCallerIdentity: {
    service: 'sts',
    protocol: 'awsQuery',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/' },
    target: 'GetCallerIdentity',
    input: structure({}),
    errors: [],
  },
  GetSignalingChannelEndpoint: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/getSignalingChannelEndpoint' },
    input: structure(
      {
        ChannelARN: channelArn,
        SingleMasterChannelEndpointConfiguration: structure({
          Protocols: {
            type: 'list',
            min: 1,
            max: 5,
            member: { type: 'string', enum: ['WSS', 'HTTPS', 'WEBRTC'] },
          },
          Role: { type: 'string', enum: ['MASTER', 'VIEWER'] },
        }),
      },
      ['ChannelARN'],
    ),
    errors: [
      KVS_CONTROL.invalidArgument,
      KVS_CONTROL.clientLimit,
      KVS_CONTROL.notFound,
      KVS_CONTROL.inUse,
      KVS_CONTROL.accessDenied,
    ],
  },
  DescribeSignalingChannel: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/describeSignalingChannel' },
    input: structure({ ChannelName: channelName, ChannelARN: channelArn }),
    errors: [
      KVS_CONTROL.invalidArgument,
      KVS_CONTROL.clientLimit,
      KVS_CONTROL.notFound,
      KVS_CONTROL.accessDenied,
    ],
  },
  ListSignalingChannels: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/listSignalingChannels' },
    input: structure({
      MaxResults: { type: 'integer', min: 1, max: 10000 },
      NextToken: { type: 'string', min: 0, max: 1024, pattern: '[a-zA-Z0-9+/=]*' },
      ChannelNameCondition: structure({
        ComparisonOperator: { type: 'string', enum: ['BEGINS_WITH'] },
        ComparisonValue: channelName,
      }),
    }),
    errors: [KVS_CONTROL.invalidArgument, KVS_CONTROL.clientLimit, KVS_CONTROL.accessDenied],
  },
  GetIceServerConfig: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'signaling',
    http: { method: 'POST', requestUri: '/v1/get-ice-server-config' },
    input: structure(
      {
        // The model says `arn:aws:kinesisvideo:…`, which no China channel matches; KVS in cn-north-1
        // serves `arn:aws-cn:` channels (the conformance test lists this disagreement).
        ChannelARN: channelArn,
        ClientId: clientId,
        Service: { type: 'string', enum: ['TURN'] },
        Username: clientId,
      },
      ['ChannelARN'],
    ),
    errors: [
      kvs('InvalidClientException', 400, 'message'),
      kvs('SessionExpiredException', 400, 'message'),
      KVS_CONTROL.clientLimit,
      KVS_CONTROL.notFound,
      KVS_CONTROL.invalidArgument,
      kvs('NotAuthorizedException', 401),
    ],
  },
  DescribeMediaStorageConfiguration: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/describeMediaStorageConfiguration' },
    input: structure({ ChannelName: channelName, ChannelARN: channelArn }),
    errors: [
      KVS_CONTROL.notFound,
      KVS_CONTROL.invalidArgument,
      KVS_CONTROL.accessDenied,
      KVS_CONTROL.clientLimit,
    ],
  },
  JoinStorageSession: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'storage',
    http: { method: 'POST', requestUri: '/joinStorageSession' },
    input: structure({ channelArn: storageChannelArn }, ['channelArn']),
    errors: KVS_STORAGE,
  },
  JoinStorageSessionAsViewer: {
    service: 'kinesisvideo',
    protocol: 'restJson',
    endpoint: 'storage',
    http: { method: 'POST', requestUri: '/joinStorageSessionAsViewer' },
    input: structure(
      {
        channelArn: storageChannelArn,
        clientId: { type: 'string', min: 1, max: 256, pattern: '^[a-zA-Z0-9_.-]+$' },
      },
      ['channelArn', 'clientId'],
    ),
    errors: KVS_STORAGE,
  },
  GetParameter: {
    service: 'ssm',
    protocol: 'awsJson',
    endpoint: 'control',
    http: { method: 'POST', requestUri: '/' },
    target: 'AmazonSSM.GetParameter',
    input: structure({ Name: { type: 'string', min: 1, max: 2048 }, WithDecryption: { type: 'boolean' } }, [
      'Name',
    ]),
    errors: [
      // awsJson errors without an `error` trait: a fault is a 500, any other error a 400.
      { code: 'InternalServerError', status: 500, messageMember: 'Message' },
      { code: 'InvalidKeyId', status: 400, messageMember: 'message' },
      { code: 'ParameterNotFound', status: 400, messageMember: 'message' },
      { code: 'ParameterVersionNotFound', status: 400, messageMember: 'message' },
    ],
  },
};

/** The code of each service's validation errors (constraint violations of the input). */
export const VALIDATION_CODES: Readonly<Record<SigningService, string>> = {
  sts: 'ValidationError',
  // KVS has no ValidationException in its models: its APIs answer bad input with InvalidArgumentException.
  kinesisvideo: 'InvalidArgumentException',
  ssm: 'ValidationException',
};

/** The modelled error `code` of `operation`, or undefined when the model lists no such error. */
export const modelledError = (operation: Operation, code: string): ModelledError | undefined =>
  OPERATION_MODELS[operation].errors.find((error) => error.code === code);

/** The message member of each modelled error code of the JSON operations served at `endpoint`. */
const messageMembersAt = (endpoint: EndpointKind): ReadonlyMap<string, 'Message' | 'message'> =>
  new Map(
    Object.values(OPERATION_MODELS)
      .filter((model) => model.endpoint === endpoint && model.protocol !== 'awsQuery')
      .flatMap((model) => model.errors.map((error) => [error.code, error.messageMember] as const)),
  );

/**
 * The message member of a modelled error code, for the JSON protocols, per endpoint: an
 * endpoint's codes are unique, but KVS's APIs spell the same code apart (the storage API's
 * `ClientLimitExceededException`, `InvalidArgumentException`, `AccessDeniedException` and
 * `ResourceNotFoundException` carry `message`, the control plane's `Message`).
 */
export const MESSAGE_MEMBERS: Readonly<Record<EndpointKind, ReadonlyMap<string, 'Message' | 'message'>>> = {
  control: messageMembersAt('control'),
  signaling: messageMembersAt('signaling'),
  storage: messageMembersAt('storage'),
};
