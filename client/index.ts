/**
 * `kvs-ice-broker/client`: get a Kinesis Video Streams signaling channel's ICE servers from a
 * kvs-ice-broker API and keep a peer connection's TURN credentials fresh. Runs in browsers (ES
 * module) and Node.js 20+ (ESM and CommonJS); no runtime dependency unless `aws` (SigV4) is used.
 *
 * ```ts
 * const client = new IceServerClient({ baseUrl: 'http://127.0.0.1:8080', channel: 'demo' });
 * const pc = new RTCPeerConnection(await rtcConfiguration(client, { iceTransportPolicy: 'relay' }));
 * keepIceServersFresh(pc, client);
 * ```
 */
export type { ChannelRole, Transport } from '../lambda/core/model';
export { IceServerError, type IceServerErrorCode, type IceServerErrorOptions } from './errors';
export {
  type AwsSigning,
  type GetIceServersOptions,
  type IceServer,
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
  type SignalingRole,
  sdkConfig,
} from './signaling';
export type { AwsCredentials, AwsCredentialsSource } from './sigv4';
