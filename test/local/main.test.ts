import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const LOBBY_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/lobby/1716796800123';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/kvs-ice-broker-dev';

const home = mkdtempSync(path.join(tmpdir(), 'kvs-ice-broker-no-aws-'));
const emptyFile = path.join(home, 'empty');
writeFileSync(emptyFile, '');

/** The AWS SDK's switches that are no credential source, kept (the test run's Node.js notice opt-out). */
const SDK_SWITCHES = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

/** This process's environment without any AWS credential source: no keys, empty config files, no IMDS. */
function environmentWithoutCredentials(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_') || SDK_SWITCHES.has(name)),
  );
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: emptyFile,
    AWS_SHARED_CREDENTIALS_FILE: emptyFile,
    AWS_EC2_METADATA_DISABLED: 'true',
    PORT: '0',
    EMULATOR_PORT: '0',
  };
}

interface Run {
  /** Exit status; null when the runner started serving instead (it was then stopped). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm start -- <args>` (local/main.ts under tsx) until it exits, or stops it once it serves. */
function npmStart(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['local/main.ts', ...args], {
      cwd: ROOT,
      env: { ...environmentWithoutCredentials(), ...env },
    });
    let stdout = '';
    let stderr = '';
    let serving = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!serving && chunk.toString().includes('is serving')) {
        serving = true;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: serving ? null : code, stdout, stderr }));
  });
}

describe('npm start', () => {
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('exits with status 1 naming a misspelled key and the key it resembles', async () => {
    const run = await npmStart(['-c', 'chanels=x']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'kvs-ice-broker: Invalid context "chanels": unknown key; did you mean "channels"?',
    );
  });

  it('on a port another process holds, says so and nothing else', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const run = await npmStart([], { PORT: String(port) });

      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        `kvs-ice-broker: port ${port} on 127.0.0.1 is already in use: stop the other process or choose another port`,
      );
      expect(run.stdout).toBe('');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("prints the AWS SDK's Node.js version notice once, not once per function instance", async () => {
    // The SDK warns on Node.js < 22, in the node `npm start` runs (the one on PATH), which need not
    // be this test's (npm run test:node24 runs the tests on Node.js 24).
    const node = execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    const sdkWarns = Number(node.split('.')[0]) < 22;

    const run = await npmStart(['--instances', '2'], {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    });

    expect(run.code).toBeNull(); // it served
    expect(run.stderr.match(/NodeVersionSupportWarning/g) ?? []).toHaveLength(sdkWarns ? 1 : 0);
  });

  it('with --aws and no AWS credentials, fails at start and says how to provide them', async () => {
    const run = await npmStart(['--aws', '-c', `channels=${LOBBY_ARN}`, '-c', `scopedRoleArn=${ROLE_ARN}`]);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^kvs-ice-broker: --aws found no usable AWS credentials/m);
    expect(run.stderr).toContain('AWS_PROFILE');
    expect(run.stderr).toContain('aws sso login');
    expect(run.stderr).toContain('AWS_ACCESS_KEY_ID');
  });
});
