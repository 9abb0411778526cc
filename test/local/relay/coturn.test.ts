import { readFileSync } from 'node:fs';
import type { IceServer } from '@kvs-ice-broker/client/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/runner';
import { requirements, TOOLS } from '../../support/requirements';
import { tampered } from '../../support/tamper';
import { runUclient, type UclientTransport } from './support/uclient';
import { endpointOf, type TurnServer, vendedTurnServer } from './support/vended';
import { pickWeriftTurnServer } from './support/werift-ice-servers';
import { openRelayDataChannel } from './support/werift-peers';

const { missing, options } = requirements(TOOLS.turnserver);
const suiteName = missing
  ? `real TURN relay (${missing})`
  : 'credentials from the local API relay real traffic through coturn';

describe('pickWeriftTurnServer', () => {
  const servers: IceServer[] = [
    { urls: ['stun:stun.example:443'] },
    {
      urls: ['turns:relay.example:443?transport=udp', 'turns:relay.example:443?transport=tcp'],
      username: 'u',
      credential: 'p',
    },
  ];

  it('skips STUN and DTLS URIs and takes the first TURN URI werift can speak', () => {
    expect(pickWeriftTurnServer(servers)).toEqual({
      urls: 'turns:relay.example:443?transport=tcp',
      username: 'u',
      credential: 'p',
      transport: 'tls',
    });
  });

  it('rejects a list without a usable URI of the wanted transport, naming the URIs it got', () => {
    expect(() => pickWeriftTurnServer(servers, 'udp')).toThrow(
      /over udp.*turns:relay\.example:443\?transport=udp/,
    );
  });
});

describe(suiteName, options, () => {
  let stack: LocalStack;
  let iceServers: IceServer[];
  let turn: TurnServer;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, channels: ['demo'], env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
    ({ iceServers, turn } = await vendedTurnServer(stack));
  });
  afterAll(() => stack?.close());

  it('vends TURN URIs that point at the live local relay', () => {
    expect(stack.coturn).toBeDefined();
    expect(endpointOf(turn, 'udp')).toEqual({ host: '127.0.0.1', port: stack.coturn?.port });
    expect(endpointOf(turn, 'tls')).toEqual({ host: '127.0.0.1', port: stack.coturn?.tlsPort });
    expect(endpointOf(turn, 'dtls')).toEqual({ host: '127.0.0.1', port: stack.coturn?.tlsPort });
  });

  it.each<UclientTransport>(['udp', 'tls', 'dtls'])(
    'turnutils_uclient relays every packet both ways over %s with the vended credentials',
    async (transport) => {
      const result = await runUclient({
        ...endpointOf(turn, transport),
        username: turn.username,
        password: turn.credential,
        transport,
      });

      expect(result.ok, result.output).toBe(true);
      expect(result.sent).toBeGreaterThan(0);
      expect(result.received).toBe(result.sent);
    },
  );

  it('turnutils_uclient gets no allocation with a tampered password', async () => {
    const result = await runUclient({
      ...endpointOf(turn, 'udp'),
      username: turn.username,
      password: tampered(turn.credential),
      transport: 'udp',
    });

    expect(result).toMatchObject({ ok: false, sent: 0, received: 0 });
    expect(result.output).toContain('Cannot complete Allocation');
  });

  it.each(['udp', 'tls'] as const)(
    'two relay-only werift peers open a data channel over TURN/%s and exchange a message',
    async (transport) => {
      const result = await openRelayDataChannel(iceServers, {
        transport,
        tlsCa: readFileSync(stack.coturn?.caFile ?? ''),
        message: 'hello through coturn',
      });

      expect(result.message).toBe('echo:hello through coturn');
      expect(result.selectedCandidateTypes).toEqual(['relay', 'relay', 'relay', 'relay']);
    },
  );

  it('werift peers get no relayed channel with a tampered password', async () => {
    const refused = [iceServers[0] ?? { urls: [] }, { ...turn, credential: tampered(turn.credential) }];

    const attempt = openRelayDataChannel(refused, { transport: 'udp', timeoutMs: 3_000 });

    await expect(attempt).rejects.toThrow(/no relay candidate at all/);
  });
});
