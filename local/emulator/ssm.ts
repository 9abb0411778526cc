import { AwsError } from './errors';
import { type EmulatorContext, handler, type OperationHandler } from './operation';

/** SSM Parameter Store's limit for a standard parameter's value. */
const MAX_VALUE_BYTES = 4096;

/** One parameter as `GetParameter` returns it. */
export interface StoredParameter {
  readonly value: string;
  readonly version: number;
  /** Emulator clock, epoch milliseconds. */
  readonly lastModified: number;
}

/**
 * SSM Parameter Store's `String` parameters, as the local runner keeps the blocked-callers list
 * there: set and deleted in process (the runner's `-c blockedCallers` / file), read by the function
 * over the wire with `GetParameter`.
 */
export class ParameterStore {
  private readonly values = new Map<string, StoredParameter>();
  private readCount = 0;

  constructor(private readonly now: () => number) {}

  /** Sets a `String` parameter (a new version), as `PutParameter --overwrite` would; throws on a value SSM would refuse. */
  set(name: string, value: string): void {
    const bytes = Buffer.byteLength(value);
    if (bytes === 0 || bytes > MAX_VALUE_BYTES)
      throw new RangeError(`a parameter value has 1 to ${MAX_VALUE_BYTES} bytes, this one ${bytes}`);
    const version = (this.values.get(name)?.version ?? 0) + 1;
    this.values.set(name, { value, version, lastModified: this.now() });
  }

  /** Deletes a parameter; later reads get `ParameterNotFound`. */
  delete(name: string): void {
    this.values.delete(name);
  }

  get(name: string): StoredParameter | undefined {
    return this.values.get(name);
  }

  /** `GetParameter` calls that reached the store since the emulator started, found or not. */
  reads(): number {
    return this.readCount;
  }

  /** Counts one `GetParameter` call. */
  countRead(): void {
    this.readCount++;
  }
}

/**
 * SSM `GetParameter` (awsJson 1.1, `X-Amz-Target: AmazonSSM.GetParameter` on the control
 * endpoint): the caller needs `ssm:GetParameter` on the parameter, which the execution role has
 * for the blocked-callers parameter alone (as the stack grants it) and no scoped session has.
 */
export function parameterHandler(ctx: EmulatorContext, store: ParameterStore): OperationHandler {
  return handler('GetParameter', (input, principal) => {
    const name = String(input.Name);
    const arn = `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
    ctx.iam.authorize(principal, 'ssm:GetParameter', arn, 'AccessDeniedException', 400);
    return {
      run: () => {
        store.countRead();
        const parameter = store.get(name);
        if (!parameter) throw new AwsError('ParameterNotFound', 400, '');
        return JSON.stringify({
          Parameter: {
            Name: name,
            Type: 'String',
            Value: parameter.value,
            Version: parameter.version,
            LastModifiedDate: parameter.lastModified / 1000,
            ARN: arn,
            DataType: 'text',
          },
        });
      },
    };
  });
}
