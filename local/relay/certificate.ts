import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files of a throwaway certificate and its unencrypted private key. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Writes a self-signed P-256 certificate for `localhost` (valid one day) and its key into `dir`,
 * using the `openssl` CLI. The key file is created with mode 0600 by openssl.
 */
export async function createSelfSignedCertificate(dir: string): Promise<CertificateFiles> {
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  const args = [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    files.keyFile,
    '-out',
    files.certFile,
  ];
  try {
    await run('openssl', args, { timeout: 10_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not create a self-signed certificate with the openssl CLI: ${detail}`);
  }
  return files;
}
