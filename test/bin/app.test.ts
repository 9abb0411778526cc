import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CDK_JSON_CONTEXT,
  type Context,
  cloudAssemblyDir,
  removeCloudAssemblies,
} from '../lib/support/synth';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

interface Run {
  readonly code: number;
  readonly stderr: string;
  readonly outdir: string;
}

/** Runs bin/app.ts the way the CDK CLI does: context and output directory in the environment. */
async function spawnApp(overrides: Context): Promise<Run> {
  const outdir = cloudAssemblyDir();
  const context = { ...CDK_JSON_CONTEXT, ...overrides, 'aws:cdk:bundling-stacks': [] };
  const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) };
  try {
    const { stderr } = await promisify(execFile)(TSX, ['bin/app.ts'], { cwd: ROOT, env });
    return { code: 0, stderr, outdir };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '', outdir };
  }
}

const runs = new Map<string, Promise<Run>>();

/** The run of bin/app.ts with `overrides`: one process per distinct context, shared by the tests that read it. */
function runApp(overrides: Context): Promise<Run> {
  const key = JSON.stringify(overrides);
  const started = runs.get(key) ?? spawnApp(overrides);
  runs.set(key, started);
  return started;
}

const DEMO_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000';

function template(run: Run): { Resources: Record<string, { Type: string; Properties?: any }> } {
  return JSON.parse(readFileSync(path.join(run.outdir, 'KvsIceBroker.template.json'), 'utf8'));
}

/**
 * Each test waits for a real process that loads aws-cdk-lib and synthesizes (seconds of CPU), so
 * the tests run concurrently and the limit only catches a hang, not a busy machine.
 */
const SPAWNED_PROCESS_TIMEOUT_MS = 180_000;

describe.concurrent('bin/app.ts', { timeout: SPAWNED_PROCESS_TIMEOUT_MS }, () => {
  afterAll(removeCloudAssemblies);

  it('writes the KvsIceBroker template from the cdk.json defaults, -c auth=iam and -c channels', async () => {
    const run = await runApp({ auth: 'iam', channels: DEMO_ARN });

    const templatePath = path.join(run.outdir, 'KvsIceBroker.template.json');

    expect(run.code).toBe(0);
    expect(existsSync(templatePath)).toBe(true);
    expect(readFileSync(templatePath, 'utf8')).toContain('POST /v1/channels/{channel}/ice-servers');
  });

  it('exits with status 1 and only the message when the context is bad', async () => {
    const run = await runApp({ auth: 'iam', channels: 'lobby' });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Invalid context "channels": "lobby" is a bare name/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('serves exactly the channels it is told: -c channels=<ARN> creates no signaling channel', async () => {
    const run = await runApp({ auth: 'iam', channels: DEMO_ARN });

    const types = Object.values(template(run).Resources).map((resource) => resource.Type);

    expect(run.code).toBe(0);
    expect(types).not.toContain('AWS::KinesisVideo::SignalingChannel');
  });

  it('refuses to synthesize without a channel, naming both channel keys', async () => {
    const run = await runApp({ auth: 'iam' });

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^Invalid context "channels" \/ "createChannels": at least one channel is required/,
    );
  });

  it('exits with status 1 naming a misspelled key and the key it resembles', async () => {
    const run = await runApp({ auth: 'iam', chanels: 'x' });

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^Invalid context "chanels": unknown key; did you mean "channels"\?/);
  });

  it('refuses the cdk.json defaults alone, asking the operator to choose how callers authenticate', async () => {
    const run = await runApp({});

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'Invalid context "auth": choose -c auth=jwt (with jwtIssuer, jwtAudience[, jwtScopes, channelsClaim]), ' +
        '-c auth=iam, or -c auth=none with -c allowUnauthenticated=true',
    );
  });

  it('prints a warning when the operator deploys an API without authentication', async () => {
    const run = await runApp({ auth: 'none', allowUnauthenticated: 'true', createChannels: 'demo' });

    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/WARNING The ice-servers route has no authentication/);
    expect(run.stderr).toContain('KvsIceBroker/IceBroker/IceServersRoute');
  });
});
