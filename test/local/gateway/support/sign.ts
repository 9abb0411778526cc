import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { DevCredentials } from '../../../../local/gateway/iam-authorizer';

/** The headers (`host` included) of a JSON POST of `body` to `url`, SigV4-signed as an AWS SDK signs execute-api calls. */
export async function signedHeaders(
  credentials: DevCredentials,
  url: URL,
  body: string,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials,
    region: credentials.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  return signed.headers;
}
