import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRelayCertificate,
  ensureLocalCa,
  LOCAL_CA_NAME,
  localCaDir,
} from '../../../local/relay/certificate';

const run = promisify(execFile);
const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** openssl's verdict on `cert` against `caFile` for a host name or an IP address. */
async function verify(caFile: string, cert: string, target: { host: string } | { ip: string }) {
  const check = 'host' in target ? ['-verify_hostname', target.host] : ['-verify_ip', target.ip];
  return run('openssl', ['verify', '-CAfile', caFile, ...check, cert]).then(
    ({ stdout }) => stdout.trim(),
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`.trim(),
  );
}

describe('the local CA for the relay certificate', () => {
  let cache: string;
  let caDir: string;

  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'kvs-ca-test-'));
    caDir = join(cache, 'kvs-ice-broker', 'ca');
  });
  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  it('lives under $XDG_CACHE_HOME, else ~/.cache', () => {
    expect(localCaDir({ XDG_CACHE_HOME: '/tmp/cache' })).toBe('/tmp/cache/kvs-ice-broker/ca');
    expect(localCaDir({})).toMatch(/\/\.cache\/kvs-ice-broker\/ca$/);
  });

  it('is made once, with its key readable by the owner only, and reused after', async () => {
    const first = await ensureLocalCa(caDir);
    const pem = await readFile(first.certFile, 'utf8');

    const second = await ensureLocalCa(caDir);

    expect(first.created).toBe(true);
    expect(second).toEqual({ ...first, created: false });
    expect(await readFile(second.certFile, 'utf8')).toBe(pem);
    expect(await mode(first.keyFile)).toBe(0o600);
    expect(await mode(caDir)).toBe(0o700);
    const { stdout } = await run('openssl', ['x509', '-in', first.certFile, '-noout', '-subject']);
    expect(stdout).toContain(LOCAL_CA_NAME);
  });

  it('is one CA when several relays start at once', async () => {
    const made = await Promise.all([ensureLocalCa(caDir), ensureLocalCa(caDir), ensureLocalCa(caDir)]);
    const pems = await Promise.all(made.map((ca) => readFile(ca.certFile, 'utf8')));

    expect(new Set(pems).size).toBe(1);
    expect(made.filter((ca) => ca.created)).toHaveLength(1);
    expect(
      (await readdir(join(cache, 'kvs-ice-broker'))).filter((name) => name.startsWith('.ca-draft')),
    ).toEqual([]);
  });

  it('replaces a CA that expires within 30 days, keeping the old one aside', async () => {
    await ensureLocalCa(caDir);
    await run('openssl', [
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
      '/CN=old',
      '-keyout',
      join(caDir, 'ca-key.pem'),
      '-out',
      join(caDir, 'ca.pem'),
    ]);

    const renewed = await ensureLocalCa(caDir);

    expect(renewed.created).toBe(true);
    expect(
      (await readdir(join(cache, 'kvs-ice-broker'))).some((name) => name.startsWith('ca.replaced-')),
    ).toBe(true);
  });

  it('signs a relay certificate that verifies for localhost, 127.0.0.1 and ::1, with a key readable by the owner only', async () => {
    const ca = await ensureLocalCa(caDir);
    const work = await mkdtemp(join(cache, 'relay-'));

    const relay = await createRelayCertificate(work, ca);

    expect(await verify(ca.certFile, relay.certFile, { host: 'localhost' })).toMatch(/: OK$/);
    expect(await verify(ca.certFile, relay.certFile, { ip: '127.0.0.1' })).toMatch(/: OK$/);
    expect(await verify(ca.certFile, relay.certFile, { ip: '::1' })).toMatch(/: OK$/);
    expect(await verify(ca.certFile, relay.certFile, { host: 'example.com' })).toContain('hostname mismatch');
    expect(await mode(relay.keyFile)).toBe(0o600);
    expect((await readdir(work)).sort()).toEqual(['cert.pem', 'key.pem']);
  });

  it('vouches for nothing but localhost and loopback: a certificate it signs for another name fails', async () => {
    const ca = await ensureLocalCa(caDir);
    const extensions = join(cache, 'other.ext');
    await writeFile(extensions, 'subjectAltName=DNS:example.com\n');
    const key = join(cache, 'other-key.pem');
    const request = join(cache, 'other.csr');
    const cert = join(cache, 'other.pem');
    await run('openssl', [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=example.com',
      '-keyout',
      key,
      '-out',
      request,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-days',
      '1',
      '-extfile',
      extensions,
      '-out',
      cert,
    ]);

    expect(await verify(ca.certFile, cert, { host: 'example.com' })).toContain('permitted subtree violation');
  });
});
