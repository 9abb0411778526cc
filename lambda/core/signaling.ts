import type { ChannelRole, SignalingAnswer } from '@kvs-ice-broker/client/contract';
import { type Channel, PRESIGNED_URL_MAX_SECONDS } from '../contract';
import type { ChannelAccess } from './channel-access';
import type { ChannelDirectory } from './channels';
import { VendingError } from './errors';
import type { ChannelGrant, VendRequest } from './model';
import type { Clock } from './ports';
import { mediaStorageOf, type StorageSessions, storageViewerSlots } from './storage';
import type { IceVendor } from './vendor';
import { InstanceViewerSlots, type ViewerSlots, viewerClientId } from './viewer-slots';

/** One request on a signaling route: the ICE route's request, for the route's role. */
export interface SignalingRequest extends VendRequest {
  /**
   * The channels the caller may master: `'all'` (auth `iam`: IAM grants the route per channel),
   * the names the token's master channels claim lists (auth `jwt`), none (auth `none`).
   */
  readonly masterChannels: ChannelGrant;
  /**
   * Whose viewer ClientIds the connection shares (the caller's id; in auth `none`, a hash of its
   * source IP); required for the viewer role.
   */
  readonly viewerPool?: string;
}

export interface SignalingVendorOptions {
  readonly channels: ChannelDirectory;
  /** Vends the ICE servers of each answer. */
  readonly ice: Pick<IceVendor, 'vend'>;
  /** The channels' scoped sessions and signaling endpoints, which the ICE vendor shares. */
  readonly access: ChannelAccess;
  /** The roles this deployment serves (context `signalingRoles`). */
  readonly roles: readonly ChannelRole[];
  /** One request's budget for all upstream work (the ICE vendor's `deadlineMs`). */
  readonly deadlineMs: number;
  /** Viewer connections one caller may hold on one channel at once (context `viewerSlotsPerCaller`). */
  readonly viewerSlotsPerCaller: number;
  /** Whose turn each caller's next viewer ClientId is; default this instance's own count. */
  readonly viewerSlots?: ViewerSlots;
  /**
   * With `storageSessions`: says in each answer whether the channel records media and how to join
   * its storage session; absent: answers say nothing of media storage.
   */
  readonly storage?: Pick<StorageSessions, 'recordsMedia'>;
  readonly clock?: Clock;
}

/** A presigned URL is never signed for less than this: a client needs a moment to connect. */
const MIN_URL_SECONDS = 10;

/**
 * The signaling use case, beside the ICE vendor: one call answers with the channel's ICE servers
 * and its WSS endpoint presigned for one role (`ConnectAsViewer` / `ConnectAsMaster`) by a
 * scoped session whose policy allows only that role's Connect action on that one channel. The
 * WSS endpoint comes from the same cached `GetSignalingChannelEndpoint` call as the HTTPS one,
 * so a warm request makes no upstream call at all.
 */
export class SignalingVendor {
  private readonly clock: Clock;
  private readonly viewerSlots: ViewerSlots;

  constructor(private readonly options: SignalingVendorOptions) {
    this.clock = options.clock ?? Date.now;
    this.viewerSlots = options.viewerSlots ?? new InstanceViewerSlots();
  }

  /**
   * The connection bundle for `request.role` on `request.channel`. Throws `VendingError`: 403
   * `ChannelNotAllowed` (role not served, channel not served or not granted, master not granted),
   * 403 `CallerNotIdentified` (a viewer without a viewer pool), and whatever the ICE vendor and
   * the channel access throw (400, 404, 429, 502, 503, 504).
   */
  async connect(request: SignalingRequest): Promise<SignalingAnswer> {
    const { role } = request;
    if (!this.options.roles.includes(role)) throw notServed(role);
    const channel = this.options.channels.resolve(request.channel, request.grantedChannels);
    if (role === 'MASTER') requireMaster(channel, request.masterChannels);
    const pool = role === 'VIEWER' ? viewerPoolOf(request) : undefined;
    const signal = AbortSignal.timeout(this.options.deadlineMs);
    const { ice, access, viewerSlotsPerCaller } = this.options;
    const { storage } = this.options;
    const [servers, { endpoints }, session, recordsMedia] = await Promise.all([
      ice.vend(request),
      access.endpoints(channel, role, signal, request.observer),
      access.session(channel, role, signal, request.observer),
      storage?.recordsMedia(channel, signal, request.observer),
    ]);
    const now = this.clock();
    const expiresInSeconds = Math.min(
      PRESIGNED_URL_MAX_SECONDS,
      Math.floor((session.expiresAt - now) / 1000),
    );
    if (expiresInSeconds < MIN_URL_SECONDS) {
      throw new VendingError('Unavailable', 'the signaling session is about to expire; retry shortly', {
        retryAfterSeconds: 1,
      });
    }
    // The caller's turn moves only for an answer that will be given (presigning makes no call): a
    // refused request takes no ClientId, so it cannot make the caller's next connection replace one.
    // On a channel that records media, fewer ClientIds than the storage session has viewer places.
    const of = recordsMedia ? storageViewerSlots(viewerSlotsPerCaller) : viewerSlotsPerCaller;
    const slot = pool === undefined ? undefined : await this.viewerSlots.next(channel.arn, pool, of, signal);
    const clientId = pool === undefined || slot === undefined ? undefined : viewerClientId(pool, slot);
    const mediaStorage =
      recordsMedia === undefined ? undefined : mediaStorageOf(channel, recordsMedia, role, clientId);
    const url = await session.presignConnect({
      endpoint: endpoints.wss,
      channelArn: channel.arn,
      clientId,
      expiresInSeconds,
    });
    return {
      role,
      ...(clientId !== undefined && slot !== undefined ? { clientId, viewerSlot: { slot, of } } : {}),
      channelArn: channel.arn,
      region: channel.region,
      ...(mediaStorage !== undefined ? { mediaStorage } : {}),
      signaling: { url, expiresAt: new Date(now + expiresInSeconds * 1000).toISOString() },
      iceServers: servers.iceServers,
      ttl: servers.ttl,
      expiresAt: servers.expiresAt,
    };
  }

  /**
   * Opens the sessions of the served roles on a channel ahead of its first request (one
   * `AssumeRole` each, within the deadline); rejects with `VendingError`, which callers only log.
   */
  async prewarm(channelName: string): Promise<void> {
    const channel = this.options.channels.resolve(channelName, 'all');
    const signal = AbortSignal.timeout(this.options.deadlineMs);
    await Promise.all(this.options.roles.map((role) => this.options.access.session(channel, role, signal)));
  }
}

/** 403 `ChannelNotAllowed` for a role this deployment does not serve (the route spells it in lower case). */
export const notServed = (role: ChannelRole): VendingError =>
  new VendingError('ChannelNotAllowed', `this API does not serve the ${role.toLowerCase()} role`);

/** The viewer's pool; throws 403 `CallerNotIdentified` when the request has none to bound it by. */
export function viewerPoolOf(request: Pick<SignalingRequest, 'viewerPool'>): string {
  if (request.viewerPool !== undefined) return request.viewerPool;
  throw new VendingError(
    'CallerNotIdentified',
    'the request carries nothing to tell this viewer apart from others (no caller id, no source IP)',
  );
}

export function requireMaster(channel: Channel, granted: ChannelGrant): void {
  if (granted === 'all' || granted.includes(channel.name)) return;
  throw new VendingError(
    'ChannelNotAllowed',
    `you may not take the master role on channel "${channel.name}"`,
  );
}
