import {
  type IceServer,
  type IceServersAnswer,
  TRANSPORTS,
  type Transport,
  transportOf,
} from '@kvs-ice-broker/client/contract';
import type { Channel } from '../contract';
import { invalidRequest, VendingError } from './errors';
import { type Metrics, noMetrics } from './metrics';
import type { TurnServerSet, VendRequest } from './model';

/**
 * Which of AWS's endpoints the function reaches (settings `dualStack` and `fips`, lambda/settings.ts),
 * and so which STUN URL it vends.
 */
export interface EndpointMode {
  /** Dual-stack (IPv4 and IPv6) endpoints: the AWS SDK's `useDualstackEndpoint`. */
  readonly dualStack: boolean;
  /** FIPS endpoints: the AWS SDK's `useFipsEndpoint`. */
  readonly fips: boolean;
}

/** The IPv4-only, non-FIPS endpoints: the default. */
export const IPV4_ENDPOINTS: EndpointMode = { dualStack: false, fips: false };

/**
 * The DNS suffixes of a partition's endpoints, IPv4-only and dual-stack: the AWS SDK's partition
 * data (`dnsSuffix`, `dualStackDnsSuffix` in @aws-sdk/core's partitions; botocore's endpoints.json
 * agrees). lib/regions.ts refuses dual-stack in the other partitions.
 */
const DNS_SUFFIXES: Readonly<Record<string, { readonly ipv4: string; readonly dualStack: string }>> = {
  aws: { ipv4: 'amazonaws.com', dualStack: 'api.aws' },
  'aws-cn': { ipv4: 'amazonaws.com.cn', dualStack: 'api.amazonwebservices.com.cn' },
  'aws-us-gov': { ipv4: 'amazonaws.com', dualStack: 'api.aws' },
};

/**
 * The KVS STUN URL for a channel's Region and partition in an endpoint mode (no API call needed):
 * `stun:stun.kinesisvideo.<region>.<suffix>:443`, with the partition's dual-stack DNS suffix in
 * dual-stack mode, and `stuns:` (STUN over TLS) with `kinesisvideo-fips` in FIPS mode.
 *
 * Sources: the KVS WebRTC developer guide, "System requirements" (the IPv4 URL); the KVS WebRTC
 * JS SDK's `generateStunUrl` (src/FipsUtils.ts, 2.7.0; dual-stack since 2.5.0) for the dual-stack
 * and FIPS URLs; the C SDK (`getStunUrl`: "FIPS STUN requires stuns: scheme (TLS)") agrees, and
 * has a China dual-stack STUN suffix of its own. The JS SDK uses `api.aws` in every partition; the
 * China dual-stack host here takes aws-cn's dual-stack suffix instead, as KVS's own China
 * dual-stack endpoint does (docs/operations.md says what is confirmed).
 */
export function stunUrl(channel: Pick<Channel, 'region' | 'partition'>, mode: EndpointMode): string {
  const suffixes = DNS_SUFFIXES[channel.partition] ?? { ipv4: 'amazonaws.com', dualStack: 'api.aws' };
  const suffix = mode.dualStack ? suffixes.dualStack : suffixes.ipv4;
  const scheme = mode.fips ? 'stuns' : 'stun';
  return `${scheme}:stun.kinesisvideo${mode.fips ? '-fips' : ''}.${channel.region}.${suffix}:443`;
}

/** One TURN server set as KVS's `GetIceServerConfig` returns it. */
export interface KvsServerSet {
  readonly uris: readonly string[];
  readonly username: string;
  readonly password: string;
  /** KVS's `Ttl`: seconds of validity from when the answer was made. */
  readonly ttlSeconds: number;
}

/** A username expiry further than this from receipt + `Ttl` means this host's clock and AWS's disagree. */
export const CLOCK_SKEW_TOLERANCE_MS = 30_000;

/** The expiry a TURN REST username (`<expiry unix seconds>:<user>`) carries, epoch ms. */
function usernameExpiry(username: string): number | undefined {
  const seconds = /^(\d{9,12}):/.exec(username)?.[1];
  return seconds === undefined ? undefined : Number(seconds) * 1000;
}

/**
 * Builds the TURN sets of a KVS answer that arrived at `receivedAt` (this host's clock). Each
 * expires `Ttl` seconds after receipt: the username's absolute expiry is on AWS's clock, so it is
 * only compared with that, and a disagreement beyond {@link CLOCK_SKEW_TOLERANCE_MS} is reported
 * (a `ClockSkew` metric and a warning), never trusted.
 */
export function turnServerSets(
  servers: readonly KvsServerSet[],
  receivedAt: number,
  report: Metrics = noMetrics,
): TurnServerSet[] {
  const sets = servers.map((server) => ({
    uris: server.uris,
    username: server.username,
    password: server.password,
    expiresAt: receivedAt + server.ttlSeconds * 1000,
  }));
  const skewsMs = sets.flatMap((set) => {
    const claimed = usernameExpiry(set.username);
    return claimed === undefined ? [] : [claimed - set.expiresAt];
  });
  const skewMs = skewsMs.find((skew) => Math.abs(skew) > CLOCK_SKEW_TOLERANCE_MS);
  if (skewMs !== undefined) {
    const clockSkewSeconds = Math.round(skewMs / 1000);
    report.add('ClockSkew', 'Seconds', clockSkewSeconds);
    report.warn?.('clock skew: KVS TURN usernames disagree with Ttl, validity is taken from Ttl', {
      clockSkewSeconds,
    });
  }
  return sets;
}

/** 400 for a `transports` filter that leaves no TURN server, naming the transports that were offered. */
function noTransport(wanted: ReadonlySet<Transport>, sets: readonly TurnServerSet[]): VendingError {
  const offered = new Set(sets.flatMap((set) => set.uris.map(transportOf)));
  const list = (transports: Iterable<Transport>) => TRANSPORTS.filter((t) => [...transports].includes(t));
  const asked = list(wanted).join(' or ');
  const available = list([...offered].filter((t) => t !== undefined)).join(', ') || 'none';
  return invalidRequest(`no TURN server offers transport ${asked}; offered: ${available}`);
}

/**
 * Shapes KVS server sets into the ICE servers route's answer: STUN first (the URL of the endpoint
 * `mode`), then one entry per TURN set that still has `minRemainingMs` of validity and at least
 * one URI of the requested transports. A `transports` filter that leaves no TURN set is the caller's error (400), not a
 * STUN-only 200.
 */
export function iceServersAnswer(
  channel: Channel,
  sets: readonly TurnServerSet[],
  request: Pick<VendRequest, 'transports' | 'maxServerSets'>,
  now: number,
  minRemainingMs: number,
  mode: EndpointMode,
): IceServersAnswer {
  const fresh = sets.filter((set) => set.expiresAt - now >= minRemainingMs && set.expiresAt > now);
  if (fresh.length === 0) {
    throw new VendingError(
      'UpstreamError',
      'KVS returned no TURN credentials with enough validity left; retry shortly',
    );
  }
  const wanted = request.transports ? new Set(request.transports) : undefined;
  const selected = fresh
    .map((set) => ({
      ...set,
      uris: set.uris.filter((uri) => !wanted || wanted.has(transportOf(uri) as Transport)),
    }))
    .filter((set) => set.uris.length > 0)
    .slice(0, request.maxServerSets);
  if (wanted && selected.length === 0) throw noTransport(wanted, fresh);
  const expiresAt = Math.min(...selected.map((set) => set.expiresAt));
  const iceServers: IceServer[] = [
    { urls: [stunUrl(channel, mode)] },
    ...selected.map((set) => ({ urls: [...set.uris], username: set.username, credential: set.password })),
  ];
  return {
    iceServers,
    ttl: Math.floor((expiresAt - now) / 1000),
    expiresAt: new Date(expiresAt).toISOString(),
    channelArn: channel.arn,
  };
}
