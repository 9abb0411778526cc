import { type IceServer, transportOf } from '@kvs-ice-broker/client/contract';
import type { LocalStack } from '../../../../local/runner';
import type { UclientTransport } from './uclient';

/** A TURN server set of an answer: an ICE server with its credentials. */
export type TurnServer = Required<IceServer>;

/**
 * What the local API vends a viewer of `demo` asking for one server set: the whole answer, and its
 * TURN server set (the one after the STUN server).
 */
export async function vendedTurnServer(
  stack: LocalStack,
): Promise<{ iceServers: IceServer[]; turn: TurnServer }> {
  const response = await fetch(`${stack.api.url}/v1/channels/demo/ice-servers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'VIEWER', maxServerSets: 1 }),
  });
  const iceServers: IceServer[] = (await response.json()).iceServers;
  return { iceServers, turn: iceServers[1] as TurnServer };
}

/**
 * host and port of the vended URI of a transport kind (udp: turn:…udp, tls: turns:…tcp, dtls:
 * turns:…udp); with `ipv6`, of a URI whose host is an IPv6 address in brackets (`turn:[::1]:3478`).
 */
export function endpointOf(
  turn: TurnServer,
  transport: UclientTransport,
  { ipv6 = false }: { ipv6?: boolean } = {},
): { host: string; port: number } {
  const uri = turn.urls.find((u) => transportOf(u) === transport);
  const pattern = ipv6 ? /^turns?:\[([^\]]+)\]:(\d+)/ : /^turns?:([^:?]+):(\d+)/;
  const [, host = '', port = ''] = pattern.exec(uri ?? '') ?? [];
  return { host, port: Number(port) };
}
