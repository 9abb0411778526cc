import type { ChannelDirectory } from './channels';
import { toVendResult } from './ice-servers';
import type { VendRequest, VendResult } from './model';
import type { Clock, SessionBroker } from './ports';

export interface IceVendorOptions {
  readonly channels: ChannelDirectory;
  readonly sessions: SessionBroker;
  /** Never return credentials with less than this many seconds left. */
  readonly minRemainingTtlSeconds: number;
  readonly clock?: Clock;
}

/**
 * The vending use case: resolve the channel, open a scoped session bound to it,
 * find the channel's signaling endpoint, and fetch TURN credentials there.
 * Free of AWS SDK imports: everything upstream goes through the ports.
 */
export class IceVendor {
  private readonly clock: Clock;

  constructor(private readonly options: IceVendorOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async vend(request: VendRequest): Promise<VendResult> {
    const channel = this.options.channels.resolve(request.channel);
    const session = await this.options.sessions.openSession(channel);
    const endpoint = await session.getSignalingEndpoint(channel.arn, request.role);
    const sets = await session.getIceServerConfig({
      endpoint,
      channelArn: channel.arn,
      clientId: request.clientId,
    });
    return toVendResult(channel, sets, request, this.clock(), this.options.minRemainingTtlSeconds * 1000);
  }
}
