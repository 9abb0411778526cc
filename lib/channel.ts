/**
 * Syntax of Kinesis Video Streams signaling channel names and ARNs, shared by the
 * context parser and the construct's prop validation.
 */
import { CHANNEL_NAME_PATTERN } from '../lambda/core/channels';

export { parseChannelArn } from '../lambda/core/channels';

/** KVS appends the channel's creation time (Unix epoch milliseconds) to its ARN. */
export const CREATION_TIME_PATTERN = /^\d{1,16}$/;

/** Why `name` is not a valid channel name, or `undefined` when it is. */
export function channelNameProblem(name: string): string | undefined {
  return CHANNEL_NAME_PATTERN.test(name)
    ? undefined
    : `"${name}" is not a valid channel name (1-256 characters of a-z, A-Z, 0-9, "_", ".", "-")`;
}

/** The AWS CLI command that prints the full ARN of an existing channel. */
export function describeChannelArnCommand(name: string): string {
  return `aws kinesisvideo describe-signaling-channel --channel-name ${name} --query ChannelInfo.ChannelARN --output text`;
}

/** The first name that occurs more than once, or `undefined`. */
export function firstDuplicate(names: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
