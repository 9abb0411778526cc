import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockedCallersParameter } from '../../../lambda/aws/blocked-callers-parameter';
import { type Emulator, startEmulator } from '../../../local/emulator';

// The blocked-callers list as the function reads it: Powertools Parameters' SSMProvider and the
// unmodified SSM client, SigV4-signed, against the emulator's GetParameter.
const NAME = '/test/blocked-callers';
let emulator: Emulator;

beforeEach(async () => {
  emulator = await startEmulator({
    channels: ['demo'],
    // The parameter the execution role may read, as the stack grants it on its own.
    blockedCallersParameter: NAME,
    turn: { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'test-secret' },
  });
});
afterEach(() => emulator.close());

function ssmClient(credentials = emulator.executionCredentials): SSMClient {
  return new SSMClient({ region: emulator.region, endpoint: emulator.url, credentials, maxAttempts: 1 });
}

async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).name;
  }
  throw new Error('the read succeeded');
}

describe('blocked-callers parameter over the SSM wire', () => {
  it('reads the value the emulator holds', async () => {
    emulator.setParameter(NAME, '{"callerIds":["u-a"]}');
    const read = blockedCallersParameter({ name: NAME, client: ssmClient(), maxAgeSeconds: 60 });

    await expect(read()).resolves.toBe('{"callerIds":["u-a"]}');
  });

  it('calls GetParameter once per cache period, however often it is asked', async () => {
    emulator.setParameter(NAME, '{}');
    const read = blockedCallersParameter({ name: NAME, client: ssmClient(), maxAgeSeconds: 60 });

    await Promise.all([read(), read()]);
    await read();
    emulator.setParameter(NAME, '{"subjects":["s"]}');

    await expect(read()).resolves.toBe('{}');
    expect(emulator.parameterReads()).toBeLessThanOrEqual(2);
  });

  it('rejects with ParameterNotFound (not a Powertools wrapper) when the parameter was deleted', async () => {
    emulator.setParameter(NAME, '{}');
    emulator.setParameter(NAME, null);
    const read = blockedCallersParameter({ name: NAME, client: ssmClient(), maxAgeSeconds: 60 });

    await expect(errorName(read())).resolves.toBe('ParameterNotFound');
  });

  it('refuses a scoped-role session, which has no SSM permission', async () => {
    emulator.setParameter(NAME, '{}');
    const sts = new STSClient({
      region: emulator.region,
      endpoint: emulator.url,
      credentials: emulator.executionCredentials,
    });
    const { Credentials } = await sts.send(
      new AssumeRoleCommand({ RoleArn: emulator.scopedRoleArn, RoleSessionName: 'ice-demo' }),
    );
    const session = {
      accessKeyId: Credentials?.AccessKeyId ?? '',
      secretAccessKey: Credentials?.SecretAccessKey ?? '',
      sessionToken: Credentials?.SessionToken ?? '',
    };

    const name = await errorName(ssmClient(session).send(new GetParameterCommand({ Name: NAME })));

    expect(name).toBe('AccessDeniedException');
  });

  it('refuses a request signed with an unknown key', async () => {
    emulator.setParameter(NAME, '{}');
    const client = ssmClient({ accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 'x'.repeat(40) });

    await expect(errorName(client.send(new GetParameterCommand({ Name: NAME })))).resolves.toBe(
      'UnrecognizedClientException',
    );
  });
});
