import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coturn, findTurnserver, startCoturn } from '../../local/coturn';
import { turnRestCredentials } from '../support/relay/credentials';
import { runUclient, type UclientTransport } from '../support/relay/uclient';
import { type IceServerLike, pickWeriftTurnServer } from '../support/relay/werift-ice-servers';
import { openRelayDataChannel } from '../support/relay/werift-peers';

const installed = findTurnserver() !== undefined;
const suiteName = installed
  ? 'relay tools against a real coturn'
  : 'relay tools against a real coturn (SKIPPED: turnserver not found, run `apt-get install coturn`)';

/**
 * The broker's response shape: STUN first, then one TURN set with the three URIs KVS returns
 * (udp, dtls, tls) plus a plain TCP one, which KVS does not offer but coturn and werift speak.
 */
function brokerIceServers(relay: Coturn, username: string, credential: string): IceServerLike[] {
  const { host, port, tlsPort } = relay;
  return [
    { urls: ['stun:stun.kinesisvideo.cn-north-1.amazonaws.com.cn:443'] },
    {
      urls: [
        `turn:${host}:${port}?transport=udp`,
        `turns:${host}:${tlsPort}?transport=udp`,
        `turns:${host}:${tlsPort}?transport=tcp`,
        `turn:${host}:${port}?transport=tcp`,
      ],
      username,
      credential,
    },
  ];
}

describe('turnRestCredentials', () => {
  it('signs `<expiry>:<user>` with base64 HMAC-SHA1 of the secret, as coturn use-auth-secret expects', () => {
    // Expected password computed independently: printf '%s' 1700000300:alice | openssl dgst -sha1 -hmac s3cret -binary | base64
    const credentials = turnRestCredentials('s3cret', 300, 'alice', 1_700_000_000_000);

    expect(credentials).toEqual({ username: '1700000300:alice', password: 'dVYbk8cykh3a9bC+gQyQQuc4Lbg=' });
  });
});

describe('pickWeriftTurnServer', () => {
  const servers: IceServerLike[] = [
    { urls: 'stun:stun.example:443' },
    {
      urls: ['turns:relay.example:443?transport=udp', 'turns:relay.example:443?transport=tcp'],
      username: 'u',
      credential: 'p',
    },
  ];

  it('skips STUN and DTLS URIs and takes the first TURN URI werift can speak', () => {
    const picked = pickWeriftTurnServer(servers);

    expect(picked).toEqual({
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

describe.skipIf(!installed)(suiteName, () => {
  const secret = randomBytes(24).toString('base64url');
  let relay: Coturn;

  beforeAll(async () => {
    relay = await startCoturn({ secret });
  });

  afterAll(async () => {
    await relay?.stop();
  });

  const portFor = (transport: UclientTransport) =>
    transport === 'tls' || transport === 'dtls' ? relay.tlsPort : relay.port;

  it.each<UclientTransport>(['udp', 'tcp', 'tls', 'dtls'])(
    'turnutils_uclient relays every packet both ways over %s with valid credentials',
    async (transport) => {
      const { username, password } = turnRestCredentials(secret, 300, `uclient-${transport}`);

      const result = await runUclient({
        host: relay.host,
        port: portFor(transport),
        username,
        password,
        transport,
      });

      expect(result.ok, result.output).toBe(true);
      expect(result.sent).toBeGreaterThan(0);
      expect(result.received).toBe(result.sent);
    },
  );

  it('turnutils_uclient gets no allocation with a tampered password', async () => {
    const { username, password } = turnRestCredentials(secret, 300, 'tampered');

    const result = await runUclient({
      host: relay.host,
      port: relay.port,
      username,
      password: `${password.slice(1)}A`,
      transport: 'udp',
    });

    expect(result).toMatchObject({ ok: false, sent: 0, received: 0 });
    expect(result.output).toContain('Cannot complete Allocation');
    expect(readFileSync(relay.logFile, 'utf8')).toContain(`Cannot find credentials of user <${username}>`);
  });

  it('turnutils_uclient gets no allocation with an expired username', async () => {
    const { username, password } = turnRestCredentials(secret, -60, 'expired');

    const result = await runUclient({
      host: relay.host,
      port: relay.port,
      username,
      password,
      transport: 'udp',
    });

    expect(result).toMatchObject({ ok: false, sent: 0, received: 0 });
    expect(readFileSync(relay.logFile, 'utf8')).toContain(`Cannot find credentials of user <${username}>`);
  });

  it.each(['udp', 'tcp', 'tls'] as const)(
    'two werift peers echo a message over a relay-only data channel (TURN over %s)',
    async (transport) => {
      const { username, password } = turnRestCredentials(secret, 300, `werift-${transport}`);
      const iceServers = brokerIceServers(relay, username, password);

      const result = await openRelayDataChannel(iceServers, {
        transport,
        tlsCa: readFileSync(relay.certFile),
        message: 'hello through coturn',
      });

      expect(result.message).toBe('echo:hello through coturn');
      expect(result.selectedCandidateTypes).toEqual(['relay', 'relay', 'relay', 'relay']);
    },
  );

  it('werift peers get no relayed channel over TLS when they do not trust the relay certificate', async () => {
    const { username, password } = turnRestCredentials(secret, 300, 'werift-untrusted');
    const iceServers = brokerIceServers(relay, username, password);

    const attempt = openRelayDataChannel(iceServers, { transport: 'tls', timeoutMs: 3_000 });

    await expect(attempt).rejects.toThrow(/no relay candidate at all/);
  });

  it('werift peers get no relayed channel with a tampered password and say so', async () => {
    const { username, password } = turnRestCredentials(secret, 300, 'werift-tampered');
    const iceServers = brokerIceServers(relay, username, `${password.slice(1)}A`);

    const attempt = openRelayDataChannel(iceServers, { transport: 'udp', timeoutMs: 3_000 });

    await expect(attempt).rejects.toThrow(/no relay candidate at all/);
  });
});
