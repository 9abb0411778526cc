import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http-server';
import type { CredentialStore } from './credentials';
import { AuthFailure, AwsError } from './errors';
import type { AccountIam } from './iam';
import { rawRequest } from './sigv4';
import { authenticate } from './sigv4-verifier';

/** SSM's `X-Amz-Target` for the one operation the emulator serves (awsJson 1.1). */
const GET_PARAMETER_TARGET = 'AmazonSSM.GetParameter';
const MAX_BODY_BYTES = 64 * 1024;
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

  /** `GetParameter` calls answered since the emulator started, successful or not. */
  reads(): number {
    return this.readCount;
  }

  /** Counts one `GetParameter` call. */
  countRead(): void {
    this.readCount++;
  }
}

/** Where the SSM endpoint finds its account and credentials. */
export interface ParameterServiceContext {
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
  readonly credentials: CredentialStore;
  readonly iam: AccountIam;
  readonly now: () => number;
}

/** An SSM error as awsJson 1.1 spells it: `__type` in the body. */
function errorResponse(res: ServerResponse, error: AwsError): void {
  write(res, error.status, { __type: error.code, message: error.message });
}

function write(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': randomUUID(),
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The code SSM answers a failed SigV4 check with (awsJson services share them). */
const AUTH_CODES: Record<AuthFailure['reason'], [string, number]> = {
  missing: ['MissingAuthenticationTokenException', 400],
  incomplete: ['IncompleteSignatureException', 400],
  unknownKey: ['UnrecognizedClientException', 400],
  signature: ['InvalidSignatureException', 400],
  stale: ['InvalidSignatureException', 400],
  expired: ['ExpiredTokenException', 400],
};

/**
 * SSM `GetParameter` on the emulator's port: `POST /` with `X-Amz-Target: AmazonSSM.GetParameter`,
 * SigV4-verified for service `ssm`. The caller needs `ssm:GetParameter` on the parameter: the
 * execution role has it for the blocked-callers parameter alone, as the stack grants it; a scoped
 * session or the developer gets `AccessDeniedException`. `accepts` tells the router which requests
 * are SSM's (STS shares the path `/`).
 */
export function parameterService(ctx: ParameterServiceContext, store: ParameterStore) {
  return {
    accepts: (req: IncomingMessage, path: string): boolean =>
      path === '/' && req.method === 'POST' && req.headers['x-amz-target'] === GET_PARAMETER_TARGET,

    async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
      const body = await readBody(req, MAX_BODY_BYTES);
      let principal: Awaited<ReturnType<typeof authenticate>>;
      try {
        principal = await authenticate(rawRequest(req, body), ctx.credentials, {
          region: ctx.region,
          service: 'ssm',
          now: ctx.now,
        });
      } catch (error) {
        if (!(error instanceof AuthFailure)) throw error;
        const [code, status] = AUTH_CODES[error.reason];
        return errorResponse(res, new AwsError(code, status, error.message));
      }
      store.countRead();
      let name: unknown;
      try {
        name = (JSON.parse(body.toString('utf8')) as { Name?: unknown }).Name;
      } catch {
        return errorResponse(
          res,
          new AwsError('SerializationException', 400, 'The request body is not JSON'),
        );
      }
      if (typeof name !== 'string' || name === '')
        return errorResponse(res, new AwsError('ValidationException', 400, 'Name is required'));
      const arn = `arn:${ctx.partition}:ssm:${ctx.region}:${ctx.accountId}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
      try {
        ctx.iam.authorize(principal, 'ssm:GetParameter', arn, 'AccessDeniedException', 400);
      } catch (error) {
        if (!(error instanceof AwsError)) throw error;
        return errorResponse(res, error);
      }
      const parameter = store.get(name);
      if (!parameter) return errorResponse(res, new AwsError('ParameterNotFound', 400, ''));
      write(res, 200, {
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
}
