import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

/**
 * The local relay's TLS certificates: a certificate authority made once per machine and kept in
 * the user's cache directory, so that a browser (or any TLS client) can trust it once, and a
 * leaf for `localhost`, `127.0.0.1` and `::1` signed by it at every relay start. The CA is
 * name-constrained to those names: trusting it vouches for nothing else. All by the `openssl` CLI.
 */

const run = promisify(execFile);

/** PEM files of a certificate and its unencrypted private key (mode 0600). */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The local CA: its certificate (what clients trust) and key, in {@link LocalCa.dir}. */
export interface LocalCa extends CertificateFiles {
  readonly dir: string;
  /** True when this call made it (the first run on this machine, or the old one was about to expire). */
  readonly created: boolean;
}

/** The CA's subject, also how certificate managers list it. */
export const LOCAL_CA_NAME = 'kvs-ice-broker local CA';
const CA_DAYS = 3650;
/** A CA with less validity left than this is replaced. */
const CA_RENEW_SECONDS = 30 * 24 * 3600;
const LEAF_DAYS = 30;
const NAME_CONSTRAINTS =
  'nameConstraints=critical,permitted;DNS:localhost,permitted;IP:127.0.0.0/255.0.0.0,permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
const LEAF_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=serverAuth',
  'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
];
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Where the local CA lives: `$XDG_CACHE_HOME/kvs-ice-broker/ca`, else `~/.cache/kvs-ice-broker/ca`.
 */
export function localCaDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'kvs-ice-broker', 'ca');
}

async function openssl(args: readonly string[], what: string): Promise<void> {
  try {
    await run('openssl', [...args], { timeout: 10_000 });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Could not ${what} with the openssl CLI: ${detail}`);
  }
}

const caFiles = (dir: string): CertificateFiles => ({
  certFile: join(dir, 'ca.pem'),
  keyFile: join(dir, 'ca-key.pem'),
});

/** True when both CA files exist and the certificate is valid for at least {@link CA_RENEW_SECONDS}. */
async function usable(files: CertificateFiles): Promise<boolean> {
  const present = await Promise.all([stat(files.certFile), stat(files.keyFile)]).then(
    () => true,
    () => false,
  );
  if (!present) return false;
  return run('openssl', [
    'x509',
    '-checkend',
    String(CA_RENEW_SECONDS),
    '-noout',
    '-in',
    files.certFile,
  ]).then(
    () => true,
    () => false,
  );
}

const isTaken = (error: unknown) =>
  ['EEXIST', 'ENOTEMPTY', 'EISDIR'].includes((error as NodeJS.ErrnoException).code ?? '');

/**
 * The machine's local CA in `dir` (default {@link localCaDir}), made on first use: a P-256 key
 * (0600, in a 0700 directory) and a certificate valid ten years, name-constrained to localhost
 * and loopback addresses. Made under a lock (`<dir>.lock`) in a temporary directory and renamed
 * into place, so processes starting at once agree on one CA. One that expires within 30 days is
 * moved aside and replaced.
 */
export async function ensureLocalCa(dir: string = localCaDir()): Promise<LocalCa> {
  const files = caFiles(dir);
  if (await usable(files)) return { dir, ...files, created: false };
  const parent = join(dir, '..');
  await mkdir(parent, { recursive: true, mode: 0o700 });
  // One process at a time decides whether the CA must be (re)made: checking and replacing are not atomic.
  const release = await lockDirectory(`${dir}.lock`);
  try {
    if (await usable(files)) return { dir, ...files, created: false };
    const draft = await mkdtemp(join(parent, '.ca-draft-'));
    try {
      await makeCa(caFiles(draft));
      await chmod(draft, 0o700);
      // Present but unusable (expiring, or half of it missing): keep it aside, as a record.
      await rename(dir, `${dir}.replaced-${Date.now()}`).catch(() => undefined);
      await rename(draft, dir);
      return { dir, ...files, created: true };
    } finally {
      await rm(draft, { recursive: true, force: true });
    }
  } finally {
    await release();
  }
}

/** A lock taken by creating `path` (mkdir is atomic); one older than a minute is a crashed holder's and is taken over. */
async function lockDirectory(path: string): Promise<() => Promise<void>> {
  const giveUpAt = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(path, { mode: 0o700 });
      return () => rm(path, { recursive: true, force: true });
    } catch (error) {
      if (!isTaken(error)) throw error;
      const age = await stat(path).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > 60_000) await rm(path, { recursive: true, force: true });
      else if (Date.now() > giveUpAt)
        throw new Error(`another process holds ${path}; remove it if none runs`);
      else await sleep(50);
    }
  }
}

async function makeCa(made: CertificateFiles): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      ...EC_KEY,
      '-days',
      String(CA_DAYS),
      '-subj',
      `/CN=${LOCAL_CA_NAME}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-addext',
      NAME_CONSTRAINTS,
      '-keyout',
      made.keyFile,
      '-out',
      made.certFile,
    ],
    'create the local CA',
  );
  await chmod(made.keyFile, 0o600);
}

/**
 * Writes a P-256 key (0600) and a certificate for `localhost`, `127.0.0.1` and `::1` (valid 30
 * days, `serverAuth`) signed by `ca` into `dir`, as `cert.pem` and `key.pem`.
 */
export async function createRelayCertificate(dir: string, ca: CertificateFiles): Promise<CertificateFiles> {
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  const request = join(dir, 'cert.csr');
  const extensions = join(dir, 'cert.ext');
  await writeFile(extensions, `${LEAF_EXTENSIONS.join('\n')}\n`);
  await openssl(
    ['req', '-new', ...EC_KEY, '-subj', '/CN=localhost', '-keyout', files.keyFile, '-out', request],
    'create the relay key',
  );
  await chmod(files.keyFile, 0o600);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-days',
      String(LEAF_DAYS),
      '-extfile',
      extensions,
      '-out',
      files.certFile,
    ],
    'sign the relay certificate with the local CA',
  );
  await Promise.all([rm(request, { force: true }), rm(extensions, { force: true })]);
  return files;
}
