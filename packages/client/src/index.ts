/**
 * `@kvs-ice-broker/client`: get a Kinesis Video Streams signaling channel's ICE servers from a
 * kvs-ice-broker API and keep a peer connection's TURN credentials fresh. Runs in browsers (ES
 * module) and Node.js 20+ (ESM and CommonJS); no runtime dependency unless `aws` (SigV4) is used.
 *
 * ```ts
 * const client = new IceServerClient({ baseUrl: 'http://127.0.0.1:8080', channel: 'demo' });
 * const pc = new RTCPeerConnection(await rtcConfiguration(client, { iceTransportPolicy: 'relay' }));
 * keepIceServersFresh(pc, client);
 * ```
 */
export {
  CHANNEL_NAME_PATTERN,
  CHANNEL_ROLES,
  type ChannelRole,
  ERROR_CODES,
  type ErrorCode,
  type IceServer,
  type MediaStorage,
  type StorageSessionAnswer,
  type StorageSessionRequestBody,
  TRANSPORTS,
  type Transport,
} from './contract';
export { IceServerError, type IceServerErrorCode, type IceServerErrorOptions } from './errors';
export {
  type AwsSigning,
  type GetIceServersOptions,
  IceServerClient,
  type IceServerClientOptions,
  type IceServers,
  type RetryOptions,
} from './ice-server-client';
export {
  type IceServerRefresh,
  type KeepFreshOptions,
  keepIceServersFresh,
  type RefreshablePeerConnection,
  rtcConfiguration,
} from './peer-connection';
export {
  type BrokerRequestSigner,
  type SignalingConnection,
  SignalingConnector,
  type SignalingConnectorOptions,
  sdkConfig,
} from './signaling';
export type { AwsCredentials, AwsCredentialsSource } from './sigv4';
