import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';

/** Where the blocked-callers list lives, and how long a read of it is reused. */
export interface BlockedCallersParameterOptions {
  /** The SSM parameter's name (`BLOCKED_CALLERS_PARAMETER`). */
  readonly name: string;
  /** The client to read it with (the function's shared client settings and AWS location). */
  readonly client: SSMClient;
  /** Seconds a read value is reused before the next `ssm:GetParameter` (Powertools `maxAge`). */
  readonly maxAgeSeconds: number;
}

/**
 * The blocked-callers list's raw value from SSM Parameter Store, through Powertools Parameters'
 * `SSMProvider` (an in-memory cache per instance: at most one `GetParameter` per `maxAgeSeconds`
 * while reads succeed; a failed read is not cached). Rejects with the SDK's own error
 * (`ParameterNotFound`, `AccessDeniedException`, `TimeoutError`, …) rather than Powertools' wrapper,
 * so logs name the cause.
 */
export function blockedCallersParameter(options: BlockedCallersParameterOptions): () => Promise<string> {
  const provider = new SSMProvider({ awsSdkV3Client: options.client });
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(options.name, { maxAge: options.maxAgeSeconds });
    } catch (error) {
      throw (error as { cause?: unknown }).cause ?? error;
    }
    if (typeof value !== 'string') throw new Error(`SSM parameter ${options.name} has no value`);
    return value;
  };
}
