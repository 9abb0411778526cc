import { IceServerError } from './errors';

/** AWS credentials as the AWS SDK's credential providers return them (`AwsCredentialIdentity`). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** For temporary credentials (Cognito identity pools, STS). */
  readonly sessionToken?: string;
}

/** Credentials, or a provider of them such as the AWS SDK's `fromCognitoIdentityPool(…)`. */
export type AwsCredentialsSource = AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);

/** A request to sign: the URL, its headers so far, and its body. */
interface SigningRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly credentials: AwsCredentialsSource;
  readonly region: string;
}

async function resolveCredentials(source: AwsCredentialsSource): Promise<AwsCredentials> {
  let credentials: AwsCredentials | undefined;
  try {
    credentials = typeof source === 'function' ? await source() : source;
  } catch (error) {
    throw new IceServerError('CredentialsError', `the AWS credentials provider failed: ${String(error)}`, {
      cause: error,
    });
  }
  if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
    throw new IceServerError('CredentialsError', 'the AWS credentials provider returned no access key');
  }
  return credentials;
}

/** `aws4fetch`, the optional peer dependency that iam mode needs; a `CredentialsError` saying so when it is not installed. */
async function loadSigner(): Promise<typeof import('aws4fetch')> {
  try {
    return await import('aws4fetch');
  } catch (error) {
    throw new IceServerError(
      'CredentialsError',
      'iam mode signs requests with aws4fetch, an optional peer dependency of @kvs-ice-broker/client: npm install aws4fetch',
      { cause: error },
    );
  }
}

/**
 * `headers` plus SigV4's (`authorization`, `x-amz-date`, `x-amz-security-token`) for a `POST` of
 * `body` to `url`, service `execute-api`, as API Gateway's `AWS_IAM` authorization checks them.
 * The signer, `aws4fetch` (WebCrypto, browsers and Node), is loaded on first use, so clients of
 * `jwt` and `none` deployments never load it.
 */
export async function signedHeaders(request: SigningRequest): Promise<Record<string, string>> {
  const credentials = await resolveCredentials(request.credentials);
  const { AwsV4Signer } = await loadSigner();
  const signer = new AwsV4Signer({
    method: 'POST',
    url: request.url,
    headers: request.headers,
    body: request.body,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    service: 'execute-api',
    region: request.region,
  });
  const signed = await signer.sign();
  const headers: Record<string, string> = {};
  signed.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return headers;
}
