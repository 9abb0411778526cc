import type { Channel } from './channels';
import { BrokerError } from './errors';
import type { IceServer, Transport, TurnServerSet, VendRequest, VendResult } from './model';

/** The KVS STUN URL for a channel's region and partition (no API call needed). */
export function stunUrl(channel: Pick<Channel, 'region' | 'partition'>): string {
  const suffix = channel.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `stun:stun.kinesisvideo.${channel.region}.${suffix}:443`;
}

/** Which `transports` kind a TURN URI is, or undefined for anything that is not a TURN URI. */
export function transportOf(uri: string): Transport | undefined {
  const match = /^(turns?):[^?]*(?:\?(.*))?$/i.exec(uri);
  if (!match) return undefined;
  const secure = match[1]?.toLowerCase() === 'turns';
  const transport =
    new URLSearchParams(match[2] ?? '').get('transport')?.toLowerCase() ?? (secure ? 'tcp' : 'udp');
  if (transport === 'udp') return secure ? 'dtls' : 'udp';
  if (transport === 'tcp') return secure ? 'tls' : 'tcp';
  return undefined;
}

/**
 * Builds a TURN set from KVS's answer. The expiry is the earlier of `Ttl` from now and the
 * expiry time that TURN REST usernames (`<expiry unix seconds>:<user>`) carry.
 */
export function turnServerSet(
  raw: { uris: readonly string[]; username: string; password: string; ttlSeconds: number },
  now: number,
): TurnServerSet {
  const fromTtl = now + raw.ttlSeconds * 1000;
  const usernameExpiry = /^(\d{9,12}):/.exec(raw.username)?.[1];
  const fromUsername =
    usernameExpiry === undefined ? Number.POSITIVE_INFINITY : Number(usernameExpiry) * 1000;
  return {
    uris: raw.uris,
    username: raw.username,
    password: raw.password,
    expiresAt: Math.min(fromTtl, fromUsername),
  };
}

/**
 * Shapes KVS server sets into the response: STUN first, then one entry per TURN set that
 * still has `minRemainingMs` of validity and at least one URI of the requested transports.
 */
export function toVendResult(
  channel: Channel,
  sets: readonly TurnServerSet[],
  request: Pick<VendRequest, 'transports' | 'maxServerSets'>,
  now: number,
  minRemainingMs: number,
): VendResult {
  const fresh = sets.filter((set) => set.expiresAt - now >= minRemainingMs && set.expiresAt > now);
  if (fresh.length === 0) {
    throw new BrokerError('UpstreamError', 'KVS returned no TURN credentials with enough validity left');
  }
  const wanted = request.transports ? new Set(request.transports) : undefined;
  const selected = fresh
    .map((set) => ({
      ...set,
      uris: set.uris.filter((uri) => !wanted || wanted.has(transportOf(uri) as Transport)),
    }))
    .filter((set) => set.uris.length > 0)
    .slice(0, request.maxServerSets);
  const expiresAt = Math.min(...(selected.length > 0 ? selected : fresh).map((set) => set.expiresAt));
  const iceServers: IceServer[] = [
    { urls: [stunUrl(channel)] },
    ...selected.map((set) => ({ urls: [...set.uris], username: set.username, credential: set.password })),
  ];
  return {
    iceServers,
    ttl: Math.floor((expiresAt - now) / 1000),
    expiresAt: new Date(expiresAt).toISOString(),
    channelArn: channel.arn,
  };
}
