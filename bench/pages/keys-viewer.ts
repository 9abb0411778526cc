/**
 * The first-frame benchmark's baseline page (bench/pages/keys-viewer.html, served and bundled by
 * bench/lib/pages.ts): the status quo the broker replaces. As the KVS WebRTC samples' viewer does,
 * the page holds AWS keys, calls `GetSignalingChannelEndpoint` and then `GetIceServerConfig` with
 * the AWS SDK for JavaScript v3, and gives the keys to the official KVS WebRTC SDK's
 * `SignalingClient` (`credentials`), which signs its own WebSocket URL. From there it is the same
 * viewer as the /demo/signaling page's (`watchVideo`), with the same clock: from the first call
 * to the first decoded frame. The samples also call `DescribeSignalingChannel` first to find the
 * channel's ARN; this page is given the ARN, one call fewer than the samples make.
 */

import { GetSignalingChannelEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetIceServerConfigCommand,
  KinesisVideoSignalingClient,
} from '@aws-sdk/client-kinesis-video-signaling';
import type { SignalingClient as SdkSignalingClient } from 'amazon-kinesis-video-streams-webrtc';
import { pictureMatch } from '../../local/demo/test-pattern';
import { type Joined, stopWatching, type VideoOutcome, watchVideo } from '../../local/demo/video-viewer';

/** What the page holds: the keys, and where KVS is (the emulator's control plane, in the benchmark). */
export interface KeysViewerOptions {
  readonly region: string;
  /** The KVS control plane's endpoint (`https://kinesisvideo.<region>.amazonaws.com` on AWS). */
  readonly endpoint: string;
  readonly channelArn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly timeoutMs: number;
}

declare global {
  interface Window {
    /** The SDK's dist build (`kvs-webrtc.min.js`) sets it. */
    KVSWebRTC: { SignalingClient: typeof SdkSignalingClient };
    /** What the page offers the benchmark and its test. */
    keysViewer: typeof keysViewer;
  }
}

/** The KVS calls of the samples' viewer, with the AWS SDK, and the SDK's client signing with the keys. */
async function join(options: KeysViewerOptions): Promise<Joined> {
  const { region, channelArn } = options;
  const credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
  const kvs = new KinesisVideoClient({ region, credentials, endpoint: options.endpoint });
  const { ResourceEndpointList = [] } = await kvs.send(
    new GetSignalingChannelEndpointCommand({
      ChannelARN: channelArn,
      SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'VIEWER' },
    }),
  );
  const endpoint = (protocol: string) => {
    const found = ResourceEndpointList.find((entry) => entry.Protocol === protocol)?.ResourceEndpoint;
    if (!found) throw new Error(`GetSignalingChannelEndpoint returned no ${protocol} endpoint`);
    return found;
  };
  const signaling = new KinesisVideoSignalingClient({ region, credentials, endpoint: endpoint('HTTPS') });
  const { IceServerList = [] } = await signaling.send(
    new GetIceServerConfigCommand({ ChannelARN: channelArn }),
  );
  const iceServers = IceServerList.map((server) => ({
    urls: server.Uris ?? [],
    username: server.Username,
    credential: server.Password,
  }));
  const clientId = crypto.randomUUID();
  const client = new window.KVSWebRTC.SignalingClient({
    channelARN: channelArn,
    channelEndpoint: endpoint('WSS'),
    clientId,
    role: 'VIEWER',
    region,
    credentials,
    systemClockOffset: kvs.config.systemClockOffset,
  } as ConstructorParameters<typeof SdkSignalingClient>[0]);
  kvs.destroy();
  signaling.destroy();
  return { iceServers, client, clientId, requests: 2 };
}

function setState(state: string, text: string): void {
  document.body.dataset.state = state;
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

const video = () => {
  const element = document.getElementById('remote');
  if (!(element instanceof HTMLVideoElement)) throw new Error('this page has no #remote video');
  return element;
};

/** What the page offers: the viewer (state, phases and video on the page, as /demo/signaling's). */
const keysViewer = {
  async watch(options: KeysViewerOptions): Promise<VideoOutcome> {
    setState('connecting', 'connecting as viewer, with AWS keys…');
    try {
      const outcome = await watchVideo({
        join: () => join(options),
        video: video(),
        table: document.getElementById('phases') as HTMLTableElement | null,
        timeoutMs: options.timeoutMs,
      });
      document.body.dataset.relayProtocol = outcome.relayProtocol ?? '';
      document.body.dataset.localCandidateType = outcome.localCandidateType ?? '';
      document.body.dataset.timeToFirstFrameMs = String(outcome.msToFirstFrame);
      setState(
        'connected',
        `viewer ${outcome.clientId}: first frame ${outcome.msToFirstFrame} ms after the first KVS call ` +
          `(${outcome.requests} KVS requests, relay ${outcome.relayProtocol}); data channel: ${outcome.echo}`,
      );
      return outcome;
    } catch (error) {
      setState('failed', `failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  },
  pictureMatch: () => pictureMatch(video()),
  stopWatching,
};
window.keysViewer = keysViewer;
