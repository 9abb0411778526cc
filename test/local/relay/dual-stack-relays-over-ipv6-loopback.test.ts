import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import type { IceServer } from '@kvs-ice-broker/client/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../local/runner';
import { runCli } from '../../../packages/cli/src/main';
import { openSocket } from '../../local/emulator/support/signaling';
import { requirements, TOOLS } from '../../support/requirements';
import { tampered } from '../../support/tamper';
import { runUclient, type UclientTransport } from './support/uclient';
import { endpointOf, type TurnServer, vendedTurnServer } from './support/vended';
import { openRelayDataChannel } from './support/werift-peers';

const { missing, options } = requirements(TOOLS.turnserver);
const suiteName = missing
  ? `npm start -- -c dualStack=true, relaying over IPv6 loopback (${missing})`
  : 'npm start -- -c dualStack=true: the vended credentials relay over IPv6 loopback';

/**
 * Sends one STUN Binding request over TLS (what a `stuns:` URL asks for, RFC 7064) to `host:port`,
 * trusting `ca`; resolves with the response's message type and whether it echoes the transaction id.
 */
function stunOverTls(
  host: string,
  port: number,
  ca: Buffer,
): Promise<{ type: number; sameTransaction: boolean }> {
  const transactionId = randomBytes(12);
  const request = Buffer.concat([
    Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]),
    transactionId,
  ]);
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host, port, ca, servername: 'localhost' }, () => socket.write(request));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 20) return;
      socket.destroy();
      resolve({
        type: received.readUInt16BE(0),
        sameTransaction: received.subarray(8, 20).equals(transactionId),
      });
    });
    socket.once('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('no STUN answer over TLS within 5 s')));
  });
}

describe(suiteName, options, () => {
  let stack: LocalStack;
  let iceServers: IceServer[];
  let turn: TurnServer;

  beforeAll(async () => {
    stack = await startLocalStack({
      port: 0,
      channels: ['demo'],
      dualStack: true,
      signalingRoles: ['viewer'],
      env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    });
    ({ iceServers, turn } = await vendedTurnServer(stack));
  });
  afterAll(() => stack?.close());

  it("answers with KVS's dual-stack STUN URL and TURN URIs of the relay on [::1]", () => {
    expect(stack.coturn?.ipv6Host).toBe('::1');
    expect(iceServers[0]).toEqual({ urls: ['stun:stun.kinesisvideo.us-west-2.api.aws:443'] });
    expect(turn.urls).toEqual([
      `turn:[::1]:${stack.coturn?.port}?transport=udp`,
      `turns:[::1]:${stack.coturn?.tlsPort}?transport=udp`,
      `turns:[::1]:${stack.coturn?.tlsPort}?transport=tcp`,
    ]);
  });

  it.each<UclientTransport>(['udp', 'tls', 'dtls'])(
    'turnutils_uclient relays every packet both ways over %s to [::1] with the vended credentials',
    async (transport) => {
      const result = await runUclient({
        ...endpointOf(turn, transport, { ipv6: true }),
        username: turn.username,
        password: turn.credential,
        transport,
      });

      expect(result.ok, result.output).toBe(true);
      expect(result.received).toBe(result.sent);
    },
  );

  it('turnutils_uclient gets IPv6 relayed addresses too when it asks for them (REQUESTED-ADDRESS-FAMILY)', async () => {
    const result = await runUclient({
      ...endpointOf(turn, 'udp', { ipv6: true }),
      username: turn.username,
      password: turn.credential,
      transport: 'udp',
      ipv6Relay: true,
    });

    expect(result.ok, result.output).toBe(true);
    expect(result.received).toBe(result.sent);
  });

  it('turnutils_uclient gets no allocation on [::1] with a tampered password', async () => {
    const result = await runUclient({
      ...endpointOf(turn, 'udp', { ipv6: true }),
      username: turn.username,
      password: tampered(turn.credential),
      transport: 'udp',
    });

    expect(result).toMatchObject({ ok: false, sent: 0, received: 0 });
  });

  it('two relay-only werift peers open a data channel through the relay on [::1] over TLS', async () => {
    const result = await openRelayDataChannel(iceServers, {
      transport: 'tls',
      tlsCa: readFileSync(stack.coturn?.caFile ?? ''),
      message: 'hello over IPv6',
    });

    expect(result.turnUrl).toBe(`turns:[::1]:${stack.coturn?.tlsPort}?transport=tcp`);
    expect(result.message).toBe('echo:hello over IPv6');
    expect(result.selectedCandidateTypes).toEqual(['relay', 'relay', 'relay', 'relay']);
  });

  it('presigns the viewer route for the signaling endpoint KVS hands out in dual-stack mode, reachable on [::1]', async () => {
    const response = await fetch(`${stack.api.url}/v1/channels/demo/viewer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const bundle = (await response.json()) as { signaling: { url: string }; iceServers: IceServer[] };

    const socket = await openSocket(bundle.signaling.url, {
      ca: readFileSync(stack.coturn?.caFile ?? '', 'utf8'),
    });
    socket.terminate();

    expect(new URL(bundle.signaling.url).hostname).toBe('[::1]');
    expect(bundle.iceServers[0]).toEqual({ urls: ['stun:stun.kinesisvideo.us-west-2.api.aws:443'] });
  });

  it("answers STUN over TLS on its TLS port on [::1], what a stuns: URL (KVS's FIPS STUN) asks for", async () => {
    const answer = await stunOverTls(
      '::1',
      stack.coturn?.tlsPort ?? 0,
      readFileSync(stack.coturn?.caFile ?? ''),
    );

    expect(answer).toEqual({ type: 0x0101, sameTransaction: true });
  });

  it('kvs-ice-broker check allocates a relay on every UDP and TLS URI of [::1] (exit 0)', async () => {
    let stdout = '';
    const code = await runCli(
      ['check', '--url', stack.api.url, '--channel', 'demo', '--ca', stack.coturn?.caFile ?? '', '--json'],
      {
        stdout: (text) => {
          stdout += text;
        },
        stderr: () => undefined,
        env: {},
      },
    );
    const report = JSON.parse(stdout) as {
      uris: { transport: string; result: string; reason: string | null }[];
    };

    expect(code, stdout).toBe(0);
    expect(report.uris.map(({ transport, result }) => `${transport} ${result}`)).toEqual([
      'udp ok',
      'dtls not checked',
      'tls ok',
      'udp ok',
      'dtls not checked',
      'tls ok',
    ]);
  });
});
