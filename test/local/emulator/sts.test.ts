import { randomBytes } from 'node:crypto';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
} from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import { packedPolicySize } from '../../../local/emulator/sts';
import {
  type Credentials,
  FakeClock,
  rejectionOf,
  startTestEmulator,
  stsClient,
  withClient,
} from './support/emulator';

describe('emulated STS AssumeRole', () => {
  const clock = new FakeClock();
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startTestEmulator({ now: clock.now });
  });
  afterAll(() => emulator.close());

  const assume = (input: Partial<AssumeRoleCommandInput> = {}, credentials?: Credentials) =>
    withClient(stsClient(emulator, credentials), (sts) =>
      sts.send(
        new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'broker-demo', ...input }),
      ),
    );

  it('issues temporary ASIA credentials for the scoped role to the execution credentials', async () => {
    const out = await assume({ DurationSeconds: 900 });

    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(out.Credentials?.SessionToken).toBeTruthy();
    expect(out.Credentials?.Expiration?.getTime()).toBe((Math.floor(clock.ms / 1000) + 900) * 1000);
  });

  it('names the assumed-role session in AssumedRoleUser', async () => {
    const out = await assume();

    expect(out.AssumedRoleUser?.Arn).toBe(
      'arn:aws:sts::123456789012:assumed-role/kvs-ice-broker-scoped/broker-demo',
    );
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{16}:broker-demo$/);
  });

  it('defaults the session to the one-hour role-chaining maximum', async () => {
    const out = await assume();

    expect(out.Credentials?.Expiration?.getTime()).toBe((Math.floor(clock.ms / 1000) + 3600) * 1000);
  });

  it('denies a role other than the scoped role with AccessDenied', async () => {
    const error = await rejectionOf(assume({ RoleArn: 'arn:aws:iam::123456789012:role/admin' }));

    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403 });
  });

  it('rejects an unknown access key with InvalidClientTokenId', async () => {
    const unknown = { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: 'x'.repeat(40) };

    const error = await rejectionOf(assume({}, unknown));

    expect(error.name).toBe('InvalidClientTokenId');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 403 });
  });

  it('rejects the right key signed with a wrong secret with SignatureDoesNotMatch', async () => {
    const wrongSecret = {
      accessKeyId: emulator.executionCredentials.accessKeyId,
      secretAccessKey: 'w'.repeat(40),
    };

    const error = await rejectionOf(assume({}, wrongSecret));

    expect(error.name).toBe('SignatureDoesNotMatch');
  });

  it('denies temporary credentials assuming the role again (no chaining from the scoped role)', async () => {
    const { Credentials: c } = await assume();
    const session = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken,
    };

    const error = await rejectionOf(assume({}, session));

    expect(error.name).toBe('AccessDenied');
  });

  it('rejects a DurationSeconds above the role-chaining hour with ValidationError', async () => {
    const error = await rejectionOf(assume({ DurationSeconds: 3601 }));

    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain('role chaining');
  });

  it('rejects a DurationSeconds below 900 with ValidationError', async () => {
    const error = await rejectionOf(assume({ DurationSeconds: 899 }));

    expect(error.name).toBe('ValidationError');
  });

  it('rejects a RoleSessionName outside [\\w+=,.@-]{2,64} with ValidationError', async () => {
    const error = await rejectionOf(assume({ RoleSessionName: 'has space' }));

    expect(error.name).toBe('ValidationError');
  });

  it('rejects a session policy that is not JSON with MalformedPolicyDocument', async () => {
    const error = await rejectionOf(assume({ Policy: '{"Statement": [' }));

    expect(error).toBeInstanceOf(MalformedPolicyDocumentException);
  });

  it('rejects a session policy longer than 2048 characters with ValidationError', async () => {
    const error = await rejectionOf(
      assume({ Policy: `{"Version":"2012-10-17","Id":"${'x'.repeat(2100)}"}` }),
    );

    expect(error.name).toBe('ValidationError');
  });

  it('reports PackedPolicySize, the percentage of the packed budget a session policy takes', async () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:GetIceServerConfig', Resource: '*' }],
    });

    const withPolicy = await assume({ Policy: policy });
    const without = await assume();

    expect(withPolicy.PackedPolicySize).toBe(packedPolicySize(policy));
    expect(withPolicy.PackedPolicySize).toBeGreaterThan(0);
    expect(withPolicy.PackedPolicySize).toBeLessThan(20);
    expect(without.PackedPolicySize).toBeUndefined();
  });

  it('refuses a session policy that packs to more than its budget with PackedPolicyTooLarge (400)', async () => {
    // Random printable characters: under 2048 characters, but little for compression to find.
    const noise = [...randomBytes(1900)].map((byte) => String.fromCharCode(0x23 + (byte % 0x58))).join('');
    const policy = JSON.stringify({ Statement: { Effect: 'Allow', Action: '*', Resource: noise } });

    const error = await rejectionOf(assume({ Policy: policy }));

    expect(policy.length).toBeLessThanOrEqual(2048);
    expect(error).toBeInstanceOf(PackedPolicyTooLargeException);
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
    expect(error.message).toBe(`Packed policy consumes ${packedPolicySize(policy)}% of allotted space.`);
  });

  it('refuses an AssumeRole member it does not model (PolicyArns) rather than ignore what AWS would apply', async () => {
    const error = await rejectionOf(
      assume({ PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }] }),
    );

    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe(
      "PolicyArns.member.1.arn is not supported by the local emulator's AssumeRole.",
    );
  });

  it('rejects an Action other than AssumeRole with InvalidAction', async () => {
    const sts = stsClient(emulator);
    sts.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string };
        request.body = request.body.replace('Action=AssumeRole', 'Action=AssumeRoot');
        return next(args);
      },
      { step: 'build', name: 'renameAction' },
    );

    const error = await rejectionOf(
      sts.send(new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'xx' })),
    );
    sts.destroy();

    expect(error.name).toBe('InvalidAction');
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 });
  });
});
