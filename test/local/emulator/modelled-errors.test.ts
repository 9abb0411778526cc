import { GetIceServerConfigCommand, SessionExpiredException } from '@aws-sdk/client-kinesis-video-signaling';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Emulator,
  LOCAL_BLOCKED_CALLERS_PARAMETER,
  OPERATION_MODELS,
  OPERATIONS,
  type Operation,
} from '../../../local/emulator';
import {
  assumeScopedRole,
  channelArn,
  rejectionOf,
  STORES_MEDIA,
  signalingClient,
  startTestEmulator,
} from './support/emulator';
import { callOperation, type ValidCall, validCalls } from './support/wire';

// Every error the AWS models list for an emulated operation can be injected as a fault and comes
// back as AWS would send it: the model's code and HTTP status, the message in the member the
// model names (botocore reads it into e.response["Message"] or ["message"]).

const MODELLED = OPERATIONS.flatMap((operation) =>
  OPERATION_MODELS[operation].errors.map(
    (error) => [operation, error.code, error.status, error.messageMember] as const,
  ),
);

describe('modelled errors, injected', () => {
  let emulator: Emulator;
  let calls: Readonly<Record<Operation, ValidCall>>;

  beforeAll(async () => {
    // The storage API's joins are injectable only where they would run: a channel that records
    // media, and a scoped role granted the joins (as the conformance test's emulator).
    emulator = await startTestEmulator({ quotas: { enabled: false }, ...STORES_MEDIA });
    emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, '{}');
    calls = await validCalls(emulator, LOCAL_BLOCKED_CALLERS_PARAMETER);
  });
  afterEach(() => emulator.clearFaults());
  afterAll(() => emulator.close());

  it('covers every operation that has modelled errors', () => {
    expect(new Set(MODELLED.map(([operation]) => operation))).toEqual(
      new Set(OPERATIONS.filter((operation) => operation !== 'GetCallerIdentity')),
    );
  });

  it.each(MODELLED)(
    '%s answers an injected %s with HTTP %i and its message in %s',
    async (operation, code, status, member) => {
      const { credentials, input } = calls[operation];
      emulator.setFault(operation, { kind: 'error', code });

      const answer = await callOperation(emulator, operation, input, credentials);

      expect(answer.status).toBe(status);
      expect(answer.code).toBe(code);
      if (OPERATION_MODELS[operation].protocol === 'awsQuery') {
        expect(answer.text).toContain(`<Code>${code}</Code><Message>`);
      } else {
        expect(Object.keys(JSON.parse(answer.text))).toContain(member);
      }
    },
  );

  it('answers the same call normally once the fault is cleared', async () => {
    const { credentials, input } = calls.GetIceServerConfig;
    emulator.setFault('GetIceServerConfig', { kind: 'error', code: 'SessionExpiredException', times: 1 });
    await callOperation(emulator, 'GetIceServerConfig', input, credentials);

    const answer = await callOperation(emulator, 'GetIceServerConfig', input, credentials);

    expect(answer.status).toBe(200);
  });

  it('surfaces an injected error as its modelled exception class in the AWS SDK for JavaScript', async () => {
    emulator.setFault('GetIceServerConfig', { kind: 'error', code: 'SessionExpiredException' });
    const client = signalingClient(emulator, await assumeScopedRole(emulator));

    const error = await rejectionOf(
      client.send(new GetIceServerConfigCommand({ ChannelARN: channelArn(emulator, 'demo') })),
    );
    client.destroy();

    expect(error).toBeInstanceOf(SessionExpiredException);
    expect(error.message).toBe('The client session has expired.');
  });

  it('refuses a fault code the operation does not model, naming the ones it does', () => {
    expect(() => emulator.setFault('AssumeRole', { kind: 'error', code: 'SessionExpiredException' })).toThrow(
      'SessionExpiredException is not a modelled error of AssumeRole (its modelled errors: MalformedPolicyDocument, PackedPolicyTooLarge, RegionDisabledException, ExpiredTokenException)',
    );
  });

  it('refuses kind error without a code, and a code with another kind', () => {
    expect(() => emulator.setFault('GetParameter', { kind: 'error' })).toThrow('kind error needs a code');
    expect(() => emulator.setFault('GetParameter', { kind: 'throttle', code: 'ParameterNotFound' })).toThrow(
      'kind error needs a code',
    );
  });

  it('refuses kind notFound for an operation whose model has no ResourceNotFoundException', () => {
    expect(() => emulator.setFault('AssumeRole', { kind: 'notFound' })).toThrow(
      'AssumeRole has no ResourceNotFoundException in its model',
    );
  });

  it('sets a modelled error through POST /_emulator/faults too', async () => {
    const response = await fetch(`${emulator.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'GetParameter', fault: { kind: 'error', code: 'InvalidKeyId' } }),
    });
    const { credentials, input } = calls.GetParameter;

    const answer = await callOperation(emulator, 'GetParameter', input, credentials);

    expect(response.status).toBe(200);
    expect(answer).toMatchObject({ status: 400, code: 'InvalidKeyId' });
  });
});
