import { invalidRequest, VendingError } from './errors';
import type { ChannelGrant } from './model';

/** What KVS accepts as a signaling channel name. */
export const CHANNEL_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;
/** A KVS signaling channel ARN: `arn:<partition>:kinesisvideo:<region>:<account>:channel/<name>/<creation time>`. */
export const CHANNEL_ARN_PATTERN =
  /^arn:(aws[a-z-]*):kinesisvideo:([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):channel\/([a-zA-Z0-9_.-]{1,256})\/(\d{1,16})$/;

export interface Channel {
  readonly name: string;
  readonly arn: string;
  /** Region of the channel, from its ARN. */
  readonly region: string;
  /** AWS partition of the channel (`aws`, `aws-cn`, …), from its ARN. */
  readonly partition: string;
}

/**
 * The channel an ARN names, with the region and partition it carries, or `undefined` when `arn`
 * is not a KVS signaling channel ARN (`arn:<partition>:kinesisvideo:<region>:<account>:channel/<name>/<creation ms>`).
 */
export function parseChannelArn(arn: string): Channel | undefined {
  const match = CHANNEL_ARN_PATTERN.exec(arn);
  if (!match) return undefined;
  const [, partition = '', region = '', , name = ''] = match;
  return { name, arn, region, partition };
}

/** The channels this deployment may serve, by name. */
export class ChannelDirectory {
  private readonly byName: ReadonlyMap<string, Channel>;

  constructor(channels: Iterable<Channel>) {
    this.byName = new Map([...channels].map((channel) => [channel.name, channel]));
  }

  get names(): string[] {
    return [...this.byName.keys()];
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
