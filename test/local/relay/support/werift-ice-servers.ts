import { type IceServer, type Transport, transportOf } from '@kvs-ice-broker/client/contract';

/** TURN transports werift 0.24 speaks: `turn:…?transport=udp|tcp` and `turns:…?transport=tcp` (TLS). */
export type WeriftTurnTransport = Exclude<Transport, 'dtls'>;

/** One TURN URI with its credentials, in the shape werift's `iceServers` takes. */
export interface WeriftTurnServer {
  readonly urls: string;
  readonly username: string;
  readonly credential: string;
  readonly transport: WeriftTurnTransport;
}

function isWeriftTransport(transport: Transport | undefined): transport is WeriftTurnTransport {
  return transport === 'udp' || transport === 'tcp' || transport === 'tls';
}

/**
 * Picks the TURN URI werift should use. werift 0.24 takes only the first TURN URI across all servers,
 * skips DTLS (`turns:…?transport=udp`) and ignores STUN under `iceTransportPolicy: 'relay'`; so the
 * first URI with credentials and a supported transport (or exactly `transport`, when given) wins.
 */
export function pickWeriftTurnServer(
  servers: readonly IceServer[],
  transport?: WeriftTurnTransport,
): WeriftTurnServer {
  for (const server of servers) {
    const { username, credential } = server;
    if (username === undefined || credential === undefined) continue;
    for (const url of server.urls) {
      const kind = transportOf(url);
      if (isWeriftTransport(kind) && (transport === undefined || kind === transport)) {
        return { urls: url, username, credential, transport: kind };
      }
    }
  }
  const all = servers.flatMap((server) => server.urls);
  throw new Error(
    `No TURN URI with credentials that werift can use${transport ? ` over ${transport}` : ''} ` +
      `(it speaks turn: over udp/tcp and turns: over tcp, not DTLS); got: ${all.join(', ') || 'none'}`,
  );
}
