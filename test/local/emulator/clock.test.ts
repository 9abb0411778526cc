import { GetIceServerConfigCommand } from '@aws-sdk/client-kinesis-video-signaling';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import {
  assumeScopedRole,
  channelArn,
  FakeClock,
  rejectionOf,
  signalingClient,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';

const MINUTE = 60_000;

describe('emulator clock offset', () => {
  const clock = new FakeClock();
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: clock.now });
  });
  afterEach(() => emulator.setClockOffset(0));
  afterAll(() => emulator.close());

  const control = (init?: { method?: string; body?: unknown }) =>
    fetch(`${emulator.url}/_emulator/clock`, {
      method: init?.method ?? 'GET',
      body:
        init?.body === undefined
          ? undefined
          : typeof init.body === 'string'
            ? init.body
            : JSON.stringify(init.body),
    });
  /** Emulator time as the `Date` header of a response shows it (whole seconds). */
  const dateHeader = (response: Response) => Date.parse(response.headers.get('date') ?? '');
  const assume = (signingOffsetMs: number) =>
    withClient(stsClient(emulator), (sts) => {
      sts.config.systemClockOffset = signingOffsetMs;
      return sts.send(
        new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'clock-test' }),
      );
    });

  it('GET /_emulator/clock shows no offset by default, with the emulator time', async () => {
    const response = await control();

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ offsetMs: 0, now: new Date(clock.ms).toISOString() });
  });

  it('POST /_emulator/clock sets the offset, GET shows it and {"offsetMs": 0} resets it', async () => {
    const set = await control({ method: 'POST', body: { offsetMs: 600_000 } });
    const shown = await (await control()).json();
    await control({ method: 'POST', body: { offsetMs: 0 } });
    const reset = await (await control()).json();

    expect(set.status).toBe(200);
    expect(shown).toEqual({ offsetMs: 600_000, now: new Date(clock.ms + 600_000).toISOString() });
    expect(reset.offsetMs).toBe(0);
  });

  it.each([
    ['a body that is not JSON', '{"offsetMs":'],
    ['a missing offset', {}],
    ['an offset that is not a whole number of milliseconds', { offsetMs: 1.5 }],
    ['an offset of more than a week', { offsetMs: 8 * 24 * 3600_000 }],
    ['an unknown field', { offsetMs: 0, unit: 'ms' }],
  ])('POST /_emulator/clock answers 400 with a message for %s', async (_case, body) => {
    const response = await control({ method: 'POST', body });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ message: expect.stringContaining('offsetMs') });
  });

  it('shifts the Date header of its responses', async () => {
    emulator.setClockOffset(10 * MINUTE);

    const response = await fetch(`${emulator.url}/_emulator/stats`);

    expect(dateHeader(response)).toBe(Math.floor((clock.ms + 10 * MINUTE) / 1000) * 1000);
  });

  it('rejects a request signed 10 minutes before its shifted clock as an expired signature', async () => {
    emulator.setClockOffset(10 * MINUTE);

    const error = await rejectionOf(assume(0));

    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.message).toMatch(/^Signature expired/);
  });

  it('accepts a request signed at its shifted clock', async () => {
    emulator.setClockOffset(10 * MINUTE);

    const out = await assume(10 * MINUTE);

    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
  });

  it('issues STS sessions that expire by its shifted clock', async () => {
    emulator.setClockOffset(-3.5 * MINUTE);

    const out = await assume(0);

    const shifted = Math.floor((clock.ms - 3.5 * MINUTE) / 1000);
    expect(out.Credentials?.Expiration?.getTime()).toBe((shifted + 3600) * 1000);
  });

  it('mints TURN usernames that expire by its shifted clock', async () => {
    const session = await assumeScopedRole(emulator);
    emulator.setClockOffset(3.5 * MINUTE);

    const out = await withClient(signalingClient(emulator, session), (client) =>
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );

    const shifted = Math.floor((clock.ms + 3.5 * MINUTE) / 1000);
    expect(out.IceServerList?.[0]?.Username?.split(':')[0]).toBe(String(shifted + 300));
    expect(out.IceServerList?.[0]?.Ttl).toBe(300);
  });
});
