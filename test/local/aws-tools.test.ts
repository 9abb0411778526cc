import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopedRoleStatements } from '../../lib/iam-policies';
import { awsToolsLines } from '../../local/banner';
import { type Emulator, startEmulator } from '../../local/emulator';
import { requirements, TOOLS } from '../support/requirements';
import { HandshakeRefused, openSocket } from './emulator/support/signaling';

// The seed user's own tools against the emulator, configured only by the line `npm start` prints:
// boto3 running the seed document's script shape, and the AWS CLI making the same three calls,
// in us-west-2 and in cn-north-1 (arn:aws-cn:). They run where python3 has boto3 and the AWS CLI
// is on PATH (CI makes sure of both: .ci/run); elsewhere they are skipped with what to install.

const run = promisify(execFile);
const SCRIPTS = join(import.meta.dirname, 'aws-tools');
const TURN = { host: '127.0.0.1', port: 3478, tlsPort: 5349, secret: 'tools-secret' };

const boto3 = requirements(TOOLS.boto3);
const awsCli = requirements(TOOLS.awsCli);

/** Parses the `export NAME=value …` of the printed shell line, as a shell would. */
function exportsOf(line: string): Record<string, string> {
  const exports = line.slice(line.indexOf('export ') + 'export '.length);
  return Object.fromEntries(exports.split(' ').map((pair) => pair.split('=') as [string, string]));
}

/**
 * The environment a user's shell has after pasting the printed line: theirs without any AWS
 * setting, and no config files of theirs (a profile there must not win over the line).
 */
function shellAfterPasting(line: string, home: string): NodeJS.ProcessEnv {
  const own = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return {
    ...own,
    ...exportsOf(line),
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
  };
}

describe.each([
  { region: 'us-west-2', partition: 'aws' },
  { region: 'cn-north-1', partition: 'aws-cn' },
])('the seed user’s tools against the emulator in $region', ({ region, partition }) => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;
  let home: string;
  let role: string;

  beforeAll(async () => {
    // A deployment serving the viewer route: -c signalingRoles=viewer.
    emulator = await startEmulator({
      region,
      channels: ['demo', 'lobby'],
      turn: TURN,
      scopedRolePolicy: (arns) => scopedRoleStatements(arns, ['VIEWER']),
    });
    const [exportLine = '', , roleLine = ''] = awsToolsLines({
      environment: emulator.toolEnvironment(),
      scopedRoleArn: emulator.scopedRoleArn,
    });
    home = mkdtempSync(join(tmpdir(), 'aws-tools-'));
    env = shellAfterPasting(exportLine, home);
    role = roleLine.trim().split(/\s+/)[1] ?? '';
  });
  afterAll(async () => {
    await emulator?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('prints an ARN of the partition for the scoped role', () => {
    expect(role).toBe(`arn:${partition}:iam::123456789012:role/kvs-ice-broker-scoped`);
    expect(env.AWS_ENDPOINT_URL).toBe(emulator.url);
    expect([env.AWS_REGION, env.AWS_DEFAULT_REGION]).toEqual([region, region]);
  });

  describe(boto3.missing ? `boto3 (${boto3.missing})` : 'boto3', boto3.options, () => {
    it("runs the seed document's script: AssumeRole, GetSignalingChannelEndpoint, GetIceServerConfig at that endpoint", async () => {
      const { stdout } = await run('python3', [join(SCRIPTS, 'seed_script.py'), role, 'demo'], { env });

      const out = JSON.parse(stdout);
      expect(out.channelArn).toBe(emulator.channelArns.get('demo'));
      expect(out.channelArn).toMatch(new RegExp(`^arn:${partition}:kinesisvideo:${region}:`));
      expect(out.httpsEndpoint).toBe(emulator.signalingEndpoints.https);
      expect(out.iceServers).toHaveLength(2);
      expect(out.iceServers[0].urls).toEqual([
        'turn:127.0.0.1:3478?transport=udp',
        'turns:127.0.0.1:5349?transport=udp',
        'turns:127.0.0.1:5349?transport=tcp',
      ]);
      expect(emulator.stats().clientIds['seed-script']).toBeGreaterThanOrEqual(1);
    });

    it('is refused, with a session policy of kinesisvideo:*, DescribeSignalingChannel and ConnectAsMaster, which the scoped role does not grant', async () => {
      const { stdout } = await run('python3', [join(SCRIPTS, 'scoped_refusals.py'), role, 'demo'], { env });

      const out = JSON.parse(stdout);
      expect(out.describe).toEqual({
        code: 'AccessDeniedException',
        status: 401,
        Message:
          `User: arn:${partition}:sts::123456789012:assumed-role/kvs-ice-broker-scoped/broad-session is not ` +
          `authorized to perform: kinesisvideo:DescribeSignalingChannel on resource: ${emulator.channelArns.get('demo')} ` +
          'because no identity-based policy allows the kinesisvideo:DescribeSignalingChannel action',
      });
      const refused = await openSocket(out.connectAsMasterUrl).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(HandshakeRefused);
      expect(refused).toMatchObject({ status: 403, errorType: 'AccessDeniedException' });
      // Signed the same way, the viewer's URL opens: the refusal above is IAM's, not the signature's.
      const viewer = await openSocket(out.connectAsViewerUrl);
      viewer.terminate();
    });
  });

  describe(awsCli.missing ? `the AWS CLI (${awsCli.missing})` : 'the AWS CLI', awsCli.options, () => {
    const aws = async (args: string[], extra: NodeJS.ProcessEnv = {}) =>
      (await run('aws', args, { env: { ...env, ...extra } })).stdout.trim();
    /** The scoped role assumed with `aws sts assume-role`: its answer, and the environment of its session. */
    const cliSession = async (sessionName: string) => {
      const assumed = JSON.parse(
        await aws([
          'sts',
          'assume-role',
          '--role-arn',
          role,
          '--role-session-name',
          sessionName,
          '--output',
          'json',
        ]),
      );
      const session = {
        AWS_ACCESS_KEY_ID: assumed.Credentials.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: assumed.Credentials.SecretAccessKey,
        AWS_SESSION_TOKEN: assumed.Credentials.SessionToken,
      };
      return { assumed, session };
    };

    it('makes the same three calls: AssumeRole, GetSignalingChannelEndpoint, GetIceServerConfig at that endpoint', async () => {
      const arn = await aws([
        'kinesisvideo',
        'describe-signaling-channel',
        '--channel-name',
        'demo',
        '--query',
        'ChannelInfo.ChannelARN',
        '--output',
        'text',
      ]);
      const { assumed, session } = await cliSession('cli-script');
      const https = await aws(
        [
          'kinesisvideo',
          'get-signaling-channel-endpoint',
          '--channel-arn',
          arn,
          '--single-master-channel-endpoint-configuration',
          'Protocols=HTTPS,Role=VIEWER',
          '--query',
          'ResourceEndpointList[0].ResourceEndpoint',
          '--output',
          'text',
        ],
        session,
      );
      const ice = JSON.parse(
        await aws(
          [
            'kinesis-video-signaling',
            'get-ice-server-config',
            '--channel-arn',
            arn,
            '--client-id',
            'cli-script',
            '--endpoint-url',
            https,
            '--output',
            'json',
          ],
          session,
        ),
      );

      expect(arn).toBe(emulator.channelArns.get('demo'));
      expect(assumed.AssumedRoleUser.Arn).toBe(
        `arn:${partition}:sts::123456789012:assumed-role/kvs-ice-broker-scoped/cli-script`,
      );
      expect(https).toBe(emulator.signalingEndpoints.https);
      expect(ice.IceServerList).toHaveLength(2);
      expect(ice.IceServerList[0].Ttl).toBe(300);
    });

    it('reports GetIceServerConfig sent to the control plane as AWS users see it: "An error occurred (403)"', async () => {
      const { session } = await cliSession('cli-wrong');

      const failure = await aws(
        [
          'kinesis-video-signaling',
          'get-ice-server-config',
          '--channel-arn',
          emulator.channelArns.get('demo') ?? '',
        ],
        session,
      ).catch((error: { stderr?: string }) => error.stderr ?? '');

      expect(failure).toContain('An error occurred (403) when calling the GetIceServerConfig operation');
    });
  });
});
