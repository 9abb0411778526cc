import { CHANNEL_NAME_PATTERN } from '@kvs-ice-broker/client/contract';
import type { Channel } from '../contract';
import { invalidRequest, VendingError } from './errors';
import type { ChannelGrant } from './model';

/** The channels this deployment may serve, by name. */
export class ChannelDirectory {
  private readonly byName: ReadonlyMap<string, Channel>;

  constructor(channels: Iterable<Channel>) {
    this.byName = new Map([...channels].map((channel) => [channel.name, channel]));
  }

  /**
   * The configured channel called `name`, if `granted` includes it. Throws `VendingError`
   * 400 `InvalidRequest` for a name KVS cannot have, 403 `ChannelNotAllowed` for a channel this
   * deployment does not serve or the caller's grant does not list.
   */
  resolve(name: string, granted: ChannelGrant): Channel {
    if (!CHANNEL_NAME_PATTERN.test(name)) {
      throw invalidRequest('channel must be 1-256 characters of a-z, A-Z, 0-9, "_", "." or "-"');
    }
    const channel = this.byName.get(name);
    if (!channel) throw new VendingError('ChannelNotAllowed', `channel "${name}" is not served by this API`);
    if (granted !== 'all' && !granted.includes(name)) {
      throw new VendingError('ChannelNotAllowed', `your token does not grant channel "${name}"`);
    }
    return channel;
  }
}
