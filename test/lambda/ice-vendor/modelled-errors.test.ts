import { SSMClient } from '@aws-sdk/client-ssm';
import type { ErrorCode } from '@kvs-ice-broker/client/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockedCallersParameter } from '../../../lambda/aws/blocked-callers-parameter';
import { BlockedCallersCheck } from '../../../lambda/core/blocked-callers';
import type { MetricName } from '../../../lambda/core/metrics';
import {
  type Emulator,
  LOCAL_BLOCKED_CALLERS_PARAMETER,
  OPERATION_MODELS,
  type Operation,
} from '../../../local/emulator';
import { startTestEmulator } from '../../local/emulator/support/emulator';
import { rejectionOf, request, startVendor, type VendorUnderTest } from './support/vendor';

// What the function answers each error the AWS models list for the operations it calls, injected
// by the wire emulator and read by the unmodified SDK clients. DescribeSignalingChannel,
// ListSignalingChannels and GetCallerIdentity are emulated for scripts; the function never calls them.

/** The broker's answer to each modelled error, per operation (the fault persists: retries meet it too). */
const ANSWERS: Readonly<Partial<Record<Operation, Readonly<Record<string, ErrorCode>>>>> = {
  AssumeRole: {
    // The broker's own session policy, refused: a bug or an IAM change; the operator must look.
    MalformedPolicyDocument: 'UpstreamError',
    PackedPolicyTooLarge: 'UpstreamError',
    // STS is not activated in the Region for the account: only the operator can.
    RegionDisabledException: 'UpstreamError',
    // The function's own credentials expired: Lambda renews them, the caller retries.
    ExpiredTokenException: 'Unavailable',
  },
  GetSignalingChannelEndpoint: {
    InvalidArgumentException: 'UpstreamError',
    ClientLimitExceededException: 'Throttled',
    ResourceNotFoundException: 'ChannelNotFound',
    // The channel is being created, updated or deleted (not ACTIVE).
    ResourceInUseException: 'UpstreamError',
    AccessDeniedException: 'UpstreamError',
  },
  GetIceServerConfig: {
    InvalidClientException: 'UpstreamError',
    // The session and endpoint are dropped (lambda/core/vendor.ts forget()): the next request starts afresh.
    SessionExpiredException: 'UpstreamError',
    ClientLimitExceededException: 'Throttled',
    ResourceNotFoundException: 'ChannelNotFound',
    InvalidArgumentException: 'UpstreamError',
    NotAuthorizedException: 'UpstreamError',
  },
};

const STATUS: Readonly<Partial<Record<ErrorCode, number>>> = {
  UpstreamError: 502,
  Unavailable: 503,
  Throttled: 429,
  ChannelNotFound: 404,
};

const CASES = (Object.keys(ANSWERS) as Operation[]).flatMap((operation) =>
  Object.entries(ANSWERS[operation] ?? {}).map(([code, answer]) => [operation, code, answer] as const),
);

describe("the function's answer to each modelled error of the calls it makes", () => {
  let sut: VendorUnderTest;
  beforeAll(async () => {
    sut = await startVendor({ emulatorOptions: { quotas: { enabled: false } } });
  });
  afterEach(() => sut.emulator.clearFaults());
  afterAll(() => sut.close());

  it('has an answer for every modelled error of AssumeRole, GetSignalingChannelEndpoint and GetIceServerConfig', () => {
    for (const operation of ['AssumeRole', 'GetSignalingChannelEndpoint', 'GetIceServerConfig'] as const) {
      expect(Object.keys(ANSWERS[operation] ?? {}).sort()).toEqual(
        OPERATION_MODELS[operation].errors.map((error) => error.code).sort(),
      );
    }
  });

  it.each(CASES)('answers %s %s with %s', async (operation, code, answer) => {
    sut.emulator.setFault(operation, { kind: 'error', code });

    // A fresh channel and caller each time: nothing cached answers instead of the upstream.
    const error = await rejectionOf(
      sut.vendor.vend(request({ channel: 'lobby', clientId: `${operation}-${code}` })),
    );

    expect(error.code).toBe(answer);
    expect(STATUS[error.code]).toBeDefined();
    // The SDK names an error by its shape: STS's code MalformedPolicyDocument is MalformedPolicyDocumentException.
    expect([code, `${code}Exception`]).toContain((error.cause as Error | undefined)?.name);
    expect(error.message).toContain(operation === 'AssumeRole' ? 'STS' : 'KVS');
  });
});

describe('the blocked-callers list when GetParameter answers a modelled error', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    emulator.setParameter(LOCAL_BLOCKED_CALLERS_PARAMETER, '{"subjects":["mallory"]}');
  });
  afterEach(() => emulator.clearFaults());
  afterAll(() => emulator.close());

  function blockedCallersCheck() {
    const counted: MetricName[] = [];
    const client = new SSMClient({
      region: emulator.region,
      endpoint: emulator.url,
      credentials: emulator.executionCredentials,
      maxAttempts: 1,
    });
    const source = blockedCallersParameter({
      name: LOCAL_BLOCKED_CALLERS_PARAMETER,
      client,
      maxAgeSeconds: 0,
    });
    let now = 0;
    const blockedCallers = new BlockedCallersCheck({
      source,
      metrics: { add: (name) => counted.push(name) },
      retryAfterFailureMs: 1,
      clock: () => now++,
    });
    return { blockedCallers, counted, client };
  }

  it.each(OPERATION_MODELS.GetParameter.errors.map((error) => error.code))(
    'keeps the last good list in force through %s, and counts BlockedCallersUnreadable',
    async (code) => {
      const { blockedCallers, counted, client } = blockedCallersCheck();
      await blockedCallers.load();
      emulator.setFault('GetParameter', { kind: 'error', code });

      const blocked = await rejectionOf(blockedCallers.check({ subject: 'mallory' }));
      await blockedCallers.check({ subject: 'alice' });
      client.destroy();

      expect(blocked.code).toBe('CallerBlocked');
      expect(counted).toContain('BlockedCallersUnreadable');
    },
  );

  it.each(OPERATION_MODELS.GetParameter.errors.map((error) => error.code))(
    'answers identified callers 503 Unavailable through %s when no list was ever read',
    async (code) => {
      emulator.setFault('GetParameter', { kind: 'error', code });
      const { blockedCallers, client } = blockedCallersCheck();

      const error = await rejectionOf(blockedCallers.check({ subject: 'alice' }));
      client.destroy();

      expect(error.code).toBe('Unavailable');
      expect(error.retryAfterSeconds).toBe(5);
    },
  );
});
