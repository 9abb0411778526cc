import {
  type MediaStreamTrack,
  type RTCIceCandidate,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpSender,
  type RtpPacket,
} from 'werift';
import { AwsError } from './errors';

/** KVS allows at most this many viewers in a storage session (developer guide, "WebRTC ingestion service quotas"). */
export const STORAGE_SESSION_MAX_VIEWERS = 3;

/** What the agent needs from the signaling service: the peers' connections, and delivery to them. */
export interface StorageSignaling {
  hasMaster(channel: string): boolean;
  hasViewer(channel: string, clientId: string): boolean;
  /** Sends a message from the agent to the channel's master (`senderClientId`: the agent's). */
  toMaster(channel: string, action: 'SDP_OFFER' | 'ICE_CANDIDATE', payload: string): void;
  /** Sends a message from the agent to a viewer (as the master's messages reach viewers: no `senderClientId`). */
  toViewer(channel: string, clientId: string, action: 'SDP_OFFER' | 'ICE_CANDIDATE', payload: string): void;
}

/** Per channel: what the agent received from the master and forwarded to viewers (`GET /_emulator/stats`, `storage`). */
export interface StorageChannelStats {
  /** `JoinStorageSession` calls that made the agent offer to the master. */
  readonly masterOffers: number;
  /** The agent's peer connection with the master (`new`, `connecting`, `connected`, …), or none. */
  readonly masterConnection?: string;
  /** Video RTP packets, and video frames (packets with the marker bit: one per frame), from the master. */
  readonly videoPackets: number;
  readonly videoFrames: number;
  readonly audioPackets: number;
  /** The video codec the master sends (`video/H264`), once its first packet came. */
  readonly videoCodec?: string;
  /** Per viewer ClientId: its peer connection's state and the video packets forwarded to it. */
  readonly viewers: Readonly<
    Record<string, { readonly connection: string; readonly forwardedVideoPackets: number }>
  >;
}

interface ViewerSession {
  readonly pc: RTCPeerConnection;
  readonly video: RTCRtpSender;
  forwarded: number;
}

interface ChannelSession {
  master?: RTCPeerConnection;
  masterOffers: number;
  videoPackets: number;
  videoFrames: number;
  audioPackets: number;
  videoCodec?: string;
  readonly viewers: Map<string, ViewerSession>;
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** H.264 (packetization mode 1, constrained baseline) and Opus: what KVS ingestion takes. */
const CODECS = {
  video: [
    new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      payloadType: 102,
      parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
    }),
  ],
  audio: [
    new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 }),
  ],
};

/**
 * The emulator's recording peer (WebRTC ingestion): what KVS's storage session does when
 * `JoinStorageSession` / `JoinStorageSessionAsViewer` is called, as far as a peer can see it. A
 * real WebRTC peer (werift): it sends the master an SDP offer over the channel's signaling
 * connection, receiving H.264 video and Opus audio (KVS WebRTC developer guide, "WebRTC
 * ingestion"; the API reference of `JoinStorageSession`: "Video track: H.264, Audio track:
 * Opus"), answers ICE, and counts the RTP packets and video frames (RTP marker bits) it receives
 * per channel; to a viewer that joins (`JoinStorageSessionAsViewer`, at most 3 per session) it
 * offers the master's video, forwarding the master's H.264 RTP, and receives the viewer's
 * optional Opus audio.
 *
 * What it cannot know: KVS's recording peer is not documented beyond that. Its signaling ClientId
 * (`STORAGE_AGENT_CLIENT_ID` of ./signaling.ts here: `AWS_`-prefixed, a prefix KVS
 * keeps from viewers), its ICE servers and candidates (here host candidates on 127.0.0.1 only, so it reaches a local
 * Chromium peer directly or through the local coturn relay, and nothing else), its SDP beyond the
 * codecs, when its offer comes (here at once, when the peer is connected, and before its ICE
 * candidates; KVS's join is asynchronous and may send none), and what it records (here nothing is
 * stored: only counted). Loaded by the emulator only when a channel records media (werift is
 * large): index.ts imports it then.
 */
export class StorageAgent {
  private readonly sessions = new Map<string, ChannelSession>();

  /** @param storesMedia - the channels that record media (their `MediaStorageConfiguration` is `ENABLED`). */
  constructor(
    private readonly signaling: StorageSignaling,
    readonly storesMedia: ReadonlySet<string>,
  ) {}

  private session(channel: string): ChannelSession {
    let session = this.sessions.get(channel);
    if (!session) {
      session = { masterOffers: 0, videoPackets: 0, videoFrames: 0, audioPackets: 0, viewers: new Map() };
      this.sessions.set(channel, session);
    }
    return session;
  }

  private peer(): RTCPeerConnection {
    return new RTCPeerConnection({
      codecs: CODECS,
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      // Loopback only: the agent talks to peers on this machine, never another address.
      iceFilterCandidatePair: (pair) => pair.localCandidate.host === '127.0.0.1',
    });
  }

  /**
   * Sends `pc`'s SDP offer through `send`, then its ICE candidates as the JS SDK expects them
   * (`RTCIceCandidateInit` JSON, base64): a candidate gathered before the offer went out waits for
   * it, since a peer drops candidates for a connection it has no offer of yet (the SDK's samples
   * create their peer connection on `sdpOffer`).
   */
  private async offer(
    pc: RTCPeerConnection,
    send: (action: 'SDP_OFFER' | 'ICE_CANDIDATE', payload: string) => void,
  ): Promise<void> {
    const early: string[] = [];
    let offered = false;
    pc.onicecandidate = ({ candidate }: { candidate?: RTCIceCandidate }) => {
      if (!candidate?.candidate) return;
      const json = candidate.toJSON();
      if (!json.candidate?.includes('127.0.0.1')) return;
      if (offered) send('ICE_CANDIDATE', encode(json));
      else early.push(encode(json));
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    send('SDP_OFFER', encode({ type: 'offer', sdp: pc.localDescription?.sdp ?? offer.sdp }));
    offered = true;
    for (const payload of early.splice(0)) send('ICE_CANDIDATE', payload);
  }

  /**
   * `JoinStorageSession` on a channel that records media (the caller checks): offers to the
   * channel's master (a new offer replaces the agent's earlier connection with it, as "the most
   * recent client request takes precedence"). No master connected: nothing is sent (KVS accepts
   * the call; its offer cannot reach anyone).
   */
  joinAsMaster(channel: string): void {
    if (!this.signaling.hasMaster(channel)) return;
    this.offerToMaster(channel).catch(() => undefined);
  }

  private async offerToMaster(channel: string): Promise<void> {
    const session = this.session(channel);
    session.master?.close().catch(() => undefined);
    const pc = this.peer();
    session.master = pc;
    session.masterOffers++;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.onTrack.subscribe((track: MediaStreamTrack) => {
      track.onReceiveRtp.subscribe((rtp: RtpPacket) => this.received(channel, track, rtp));
    });
    await this.offer(pc, (action, payload) => this.signaling.toMaster(channel, action, payload));
  }

  /**
   * `JoinStorageSessionAsViewer` on a channel that records media (the caller checks): offers the
   * master's video to the viewer `clientId` (and takes its optional audio). A fourth viewer is
   * refused as KVS refuses it. The viewer must be connected: the offer goes over its signaling
   * connection.
   */
  joinAsViewer(channel: string, clientId: string): void {
    const session = this.session(channel);
    if (!session.viewers.has(clientId) && session.viewers.size >= STORAGE_SESSION_MAX_VIEWERS) {
      throw new AwsError(
        'ClientLimitExceededException',
        400,
        `The maximum number of viewers connected to the session (${STORAGE_SESSION_MAX_VIEWERS}) has been reached.`,
      );
    }
    if (!this.signaling.hasViewer(channel, clientId)) return;
    this.offerToViewer(channel, clientId).catch(() => undefined);
  }

  private async offerToViewer(channel: string, clientId: string): Promise<void> {
    const session = this.session(channel);
    session.viewers
      .get(clientId)
      ?.pc.close()
      .catch(() => undefined);
    const pc = this.peer();
    const video = pc.addTransceiver('video', { direction: 'sendonly' }).sender;
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const viewer: ViewerSession = { pc, video, forwarded: 0 };
    session.viewers.set(clientId, viewer);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'closed' || state === 'failed') session.viewers.delete(clientId);
    });
    await this.offer(pc, (action, payload) => this.signaling.toViewer(channel, clientId, action, payload));
  }

  /** Whether the viewer `clientId` is in the channel's storage session (its messages reach the agent). */
  hasViewer(channel: string, clientId: string): boolean {
    return this.sessions.get(channel)?.viewers.has(clientId) ?? false;
  }

  /** A message of the master (`recipientClientId`: the agent) or of a joined viewer (`clientId`). */
  receive(channel: string, clientId: string | undefined, action: string, payload: string): void {
    const session = this.sessions.get(channel);
    const pc = clientId === undefined ? session?.master : session?.viewers.get(clientId)?.pc;
    if (!pc) return;
    let message: { type?: string; sdp?: string; candidate?: string; sdpMid?: string; sdpMLineIndex?: number };
    try {
      message = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof message;
    } catch {
      return;
    }
    if (action === 'SDP_ANSWER' && typeof message.sdp === 'string') {
      pc.setRemoteDescription({ type: 'answer', sdp: message.sdp }).catch(() => undefined);
    } else if (
      action === 'ICE_CANDIDATE' &&
      typeof message.candidate === 'string' &&
      message.candidate !== ''
    ) {
      pc.addIceCandidate({
        candidate: message.candidate,
        sdpMid: message.sdpMid,
        sdpMLineIndex: message.sdpMLineIndex,
      }).catch(() => undefined);
    }
  }

  private received(channel: string, track: MediaStreamTrack, rtp: RtpPacket): void {
    const session = this.session(channel);
    if (track.kind === 'audio') {
      session.audioPackets++;
      return;
    }
    session.videoPackets++;
    if (rtp.header.marker) session.videoFrames++;
    session.videoCodec ??= track.codec?.mimeType;
    for (const viewer of session.viewers.values()) {
      viewer.forwarded++;
      viewer.video.sendRtp(rtp.clone()).catch(() => undefined);
    }
  }

  stats(): Record<string, StorageChannelStats> {
    return Object.fromEntries(
      [...this.sessions].map(([channel, s]) => [
        channel,
        {
          masterOffers: s.masterOffers,
          ...(s.master ? { masterConnection: s.master.connectionState } : {}),
          videoPackets: s.videoPackets,
          videoFrames: s.videoFrames,
          audioPackets: s.audioPackets,
          ...(s.videoCodec !== undefined ? { videoCodec: s.videoCodec } : {}),
          viewers: Object.fromEntries(
            [...s.viewers].map(([id, v]) => [
              id,
              { connection: v.pc.connectionState, forwardedVideoPackets: v.forwarded },
            ]),
          ),
        },
      ]),
    );
  }

  async close(): Promise<void> {
    const peers = [...this.sessions.values()].flatMap((s) => [
      ...(s.master ? [s.master] : []),
      ...[...s.viewers.values()].map((v) => v.pc),
    ]);
    this.sessions.clear();
    await Promise.all(peers.map((pc) => pc.close().catch(() => undefined)));
  }
}
