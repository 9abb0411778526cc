import { describe, expect, it } from 'vitest';
import { functionEnvironment } from '../../lib/function-environment';
import { parseArgs, portFrom, readAwsConfig, readEmulatedConfig } from '../../local/options';

const DEMO_ARN = 'arn:aws:kinesisvideo:us-west-2:123456789012:channel/demo/1700000000000';
const LOBBY_ARN = 'arn:aws-cn:kinesisvideo:cn-north-1:123456789012:channel/lobby/1716796800123';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/kvs-ice-broker-dev';

describe('npm start arguments', () => {
  it('refuses a misspelled key, naming it and the key it resembles', () => {
    expect(() => parseArgs(['-c', 'chanels=x'], {}, {})).toThrow(
      'Invalid context "chanels": unknown key; did you mean "channels"?',
    );
  });

  it('refuses a misspelled key that comes from cdk.json', () => {
    expect(() => parseArgs([], { createChanels: 'demo' }, {})).toThrow(
      'Invalid context "createChanels": unknown key; did you mean "createChannels"?',
    );
  });

  it("accepts the runner's own keys, the deployment's keys and CDK's feature flags", () => {
    const args = parseArgs(
      ['-c', `scopedRoleArn=${ROLE_ARN}`, '-c', 'region=cn-north-1', '-c', 'stackName=Dev'],
      { '@aws-cdk/core:checkSecretUsage': true, throttleRate: 5 },
      {},
    );

    expect(args.context).toMatchObject({ scopedRoleArn: ROLE_ARN, region: 'cn-north-1', throttleRate: 5 });
  });

  it('reads --context=key=value and -c key=value alike, the later one winning', () => {
    const args = parseArgs(['--context=channels=demo', '-c', 'channels=lobby,demo'], {}, {});

    expect(args.context).toMatchObject({ channels: 'lobby,demo' });
  });

  it('refuses -c without key=value, naming the flag', () => {
    expect(() => parseArgs(['-c'], {}, {})).toThrow('-c needs key=value, got ""');
    expect(() => parseArgs(['-c', '=x'], {}, {})).toThrow('-c needs key=value, got "=x"');
  });

  it('refuses an unknown argument and prints the usage', () => {
    expect(() => parseArgs(['--verbose'], {}, {})).toThrow(
      /^unknown argument "--verbose"\n\nUsage: npm start/,
    );
  });

  it('serves against real AWS with --aws or KVS_ICE_BROKER_AWS=1, and the emulator otherwise', () => {
    expect(parseArgs(['--aws'], {}, {}).realAws).toBe(true);
    expect(parseArgs([], {}, { KVS_ICE_BROKER_AWS: '1' }).realAws).toBe(true);
    expect(parseArgs([], {}, { KVS_ICE_BROKER_AWS: 'true' }).realAws).toBe(false);
    expect(parseArgs([], {}, {}).realAws).toBe(false);
  });

  it('asks for help with -h or --help', () => {
    expect(parseArgs(['-h'], {}, {}).help).toBe(true);
    expect(parseArgs(['--help'], {}, {}).help).toBe(true);
    expect(parseArgs([], {}, {}).help).toBe(false);
  });
});

describe('npm start -- --instances N', () => {
  it('runs one function instance unless told otherwise', () => {
    expect(parseArgs([], {}, {}).instances).toBe(1);
  });

  it('takes the number of instances as --instances N or --instances=N', () => {
    expect(parseArgs(['--instances', '4'], {}, {}).instances).toBe(4);
    expect(parseArgs(['--instances=2'], {}, {}).instances).toBe(2);
  });

  it.each([['0'], ['17'], ['two'], ['1.5']])('refuses --instances %s, saying what it needs', (value) => {
    expect(() => parseArgs(['--instances', value], {}, {})).toThrow(
      `--instances needs a whole number from 1 to 16, got "${value}"`,
    );
  });

  it('refuses --instances with --aws', () => {
    expect(() => parseArgs(['--aws', '--instances', '2'], {}, {})).toThrow(/emulator only/);
  });

  it('passes -c sharedCache, -c accountIceCallsPerSecond, -c callerIssuancesPerMinute and -c viewerSlotsPerCaller to the function, as a deployment does', () => {
    const config = readEmulatedConfig({
      sharedCache: 'true',
      accountIceCallsPerSecond: '50',
      callerIssuancesPerMinute: '5',
      signalingRoles: 'viewer',
      viewerSlotsPerCaller: '2',
    });
    const resources = { scopedRoleArn: ROLE_ARN, channels: '{}', blockedCallersParameter: '/p' };

    expect(functionEnvironment(config, resources)).toEqual({
      SCOPED_ROLE_ARN: ROLE_ARN,
      CHANNELS: '{}',
      BLOCKED_CALLERS_PARAMETER: '/p',
      AUTH_MODE: 'none',
      SIGNALING_ROLES: 'viewer',
      SHARED_CACHE: 'true',
      ACCOUNT_ICE_CALLS_PER_SECOND: '50',
      CALLER_ISSUANCES_PER_MINUTE: '5',
      VIEWER_SLOTS_PER_CALLER: '2',
    });
    expect(config.sharedCache).toBe(true);
  });
});

describe('ports from the environment (PORT, EMULATOR_PORT)', () => {
  it('uses the default when the variable is unset or empty', () => {
    expect(portFrom({}, 'PORT', 8080)).toBe(8080);
    expect(portFrom({ PORT: '' }, 'PORT', 8080)).toBe(8080);
  });

  it('reads a TCP port, 0 meaning a free one', () => {
    expect(portFrom({ PORT: '18181' }, 'PORT', 8080)).toBe(18181);
    expect(portFrom({ EMULATOR_PORT: '0' }, 'EMULATOR_PORT', 4566)).toBe(0);
  });

  it('refuses what is not a TCP port, naming the variable', () => {
    for (const raw of ['http', '80.5', '-1', '65536']) {
      expect(() => portFrom({ EMULATOR_PORT: raw }, 'EMULATOR_PORT', 0)).toThrow(
        `EMULATOR_PORT must be a TCP port, got "${raw}"`,
      );
    }
  });
});

describe('channels of the emulated runner', () => {
  it('serves the channel demo when no channel is given', () => {
    expect(readEmulatedConfig({}).channels).toEqual(['demo']);
  });

  it('serves exactly the channels given, without adding demo', () => {
    expect(readEmulatedConfig({ channels: 'a,b' }).channels).toEqual(['a', 'b']);
  });

  it('serves the names of channels given by ARN or name/creationTime, and the created ones', () => {
    const config = readEmulatedConfig({
      channels: [LOBBY_ARN, 'cam-01/1716796800124'],
      createChannels: 'yard',
    });

    expect(config.channels).toEqual(['lobby', 'cam-01', 'yard']);
  });

  it('refuses a channel listed twice, as a deployment does', () => {
    expect(() => readEmulatedConfig({ channels: 'a', createChannels: 'a' })).toThrow(
      'Invalid context "channels" / "createChannels": channel "a" is listed more than once',
    );
  });

  it('refuses a channel name KVS would refuse, naming the key', () => {
    expect(() => readEmulatedConfig({ channels: 'front door' })).toThrow(/^Invalid context "channels": /);
  });
});

describe('settings of the local runner', () => {
  it("leaves minRemainingTtl to the function's default when it is not given", () => {
    expect(readEmulatedConfig({}).minRemainingTtl).toBeUndefined();
  });

  it('passes minRemainingTtl on in seconds', () => {
    expect(readEmulatedConfig({ minRemainingTtl: '90' }).minRemainingTtl?.toSeconds()).toBe(90);
  });

  it('refuses a minRemainingTtl that reaches the TURN lifetime, naming the key and the range', () => {
    expect(() => readEmulatedConfig({ minRemainingTtl: '300' })).toThrow(
      /^Invalid context "minRemainingTtl": 300 must be an integer from 0 to 299/,
    );
  });

  it('refuses the same bad stage settings a deployment refuses', () => {
    expect(() => readEmulatedConfig({ throttleRate: 'fast' })).toThrow(/^Invalid context "throttleRate": /);
  });

  it('keeps -c blockedCallers entries as written, refusing one padded with whitespace', () => {
    expect(readEmulatedConfig({ blockedCallers: 'u-abc,sub:alice' }).blockedCallers).toEqual({
      list: ['u-abc', 'sub:alice'],
    });
    expect(() => readEmulatedConfig({ blockedCallers: 'u-abc, sub:alice' })).toThrow(
      'Invalid context "blockedCallers": " sub:alice" has surrounding whitespace: caller ids and subjects are matched exactly',
    );
    expect(() => readEmulatedConfig({ blockedCallers: ['sub:alice '] })).toThrow(
      'Invalid context "blockedCallers": "sub:alice " has surrounding whitespace: caller ids and subjects are matched exactly',
    );
  });

  it('reads the region of the emulator', () => {
    expect(readEmulatedConfig({ region: 'cn-north-1' }).region).toBe('cn-north-1');
  });
});

describe('dualStack and fips in the local runner, refused where a deployment would be', () => {
  const KVS_FIPS =
    'AWS\'s endpoint data has FIPS endpoints of Kinesis Video Streams in us-gov-east-1 and us-gov-west-1 only (docs/operations.md, "Dual-stack and FIPS endpoints")';

  it('passes -c dualStack=true and -c fips=true to the function, in an emulated Region that has both', () => {
    const config = readEmulatedConfig({ dualStack: 'true', fips: 'true', region: 'us-gov-west-1' });

    expect(config).toMatchObject({ dualStack: true, fips: true, region: 'us-gov-west-1' });
    const resources = { scopedRoleArn: ROLE_ARN, channels: '{}', blockedCallersParameter: '/p' };

    expect(functionEnvironment(config, resources)).toMatchObject({
      DUAL_STACK: 'true',
      FIPS: 'true',
    });
  });

  it('serves dual-stack in cn-north-1', () => {
    expect(readEmulatedConfig({ dualStack: 'true', region: 'cn-north-1' })).toMatchObject({
      dualStack: true,
    });
  });

  it('refuses -c fips=true in the default Region, us-west-2, naming it', () => {
    expect(() => readEmulatedConfig({ fips: 'true' })).toThrow(
      `Invalid context "fips": us-west-2, the Region this stack deploys to, has no FIPS endpoint for Kinesis Video Streams; ${KVS_FIPS}`,
    );
  });

  it('refuses -c fips=true in cn-north-1, naming it', () => {
    expect(() => readEmulatedConfig({ fips: 'true', region: 'cn-north-1' })).toThrow(
      'Invalid context "fips": cn-north-1, the Region this stack deploys to, has no FIPS endpoint for ' +
        `Kinesis Video Streams, STS, SSM or DynamoDB; ${KVS_FIPS}`,
    );
  });

  it("refuses -c fips=true with --aws for a channel ARN's Region", () => {
    expect(() => readAwsConfig({ channels: DEMO_ARN, scopedRoleArn: ROLE_ARN, fips: 'true' }, {})).toThrow(
      `Invalid context "fips": us-west-2, the Region of channel "demo", has no FIPS endpoint for Kinesis Video Streams; ${KVS_FIPS}`,
    );
  });
});

describe('npm start -- --aws', () => {
  it('serves a real channel named demo by its ARN', () => {
    const config = readAwsConfig({ channels: DEMO_ARN, scopedRoleArn: ROLE_ARN }, {});

    expect(config).toMatchObject({
      channels: { demo: DEMO_ARN },
      scopedRoleArn: ROLE_ARN,
      region: 'us-west-2',
      partition: 'aws',
      accountId: '123456789012',
    });
  });

  it('takes the role from SCOPED_ROLE_ARN and the region from AWS_REGION', () => {
    const config = readAwsConfig(
      { channels: LOBBY_ARN },
      { SCOPED_ROLE_ARN: ROLE_ARN, AWS_REGION: 'cn-north-1' },
    );

    expect(config).toMatchObject({ scopedRoleArn: ROLE_ARN, region: 'cn-north-1', partition: 'aws-cn' });
  });

  it('needs full channel ARNs, naming channels', () => {
    expect(() => readAwsConfig({ channels: 'lobby/1716796800123', scopedRoleArn: ROLE_ARN }, {})).toThrow(
      /^Invalid context "channels": --aws needs full channel ARNs/,
    );
  });

  it('needs at least one channel, naming channels', () => {
    expect(() => readAwsConfig({ scopedRoleArn: ROLE_ARN }, {})).toThrow(/^Invalid context "channels": /);
  });

  it('refuses createChannels: it serves existing channels only', () => {
    expect(() =>
      readAwsConfig({ channels: DEMO_ARN, createChannels: 'yard', scopedRoleArn: ROLE_ARN }, {}),
    ).toThrow(/^Invalid context "createChannels": --aws serves existing channels only/);
  });

  it('needs the role to assume, naming scopedRoleArn', () => {
    expect(() => readAwsConfig({ channels: DEMO_ARN }, {})).toThrow(/^Invalid context "scopedRoleArn": /);
  });
});

describe('auth context keys in the local runner', () => {
  it('runs without authentication when auth is not given', () => {
    const config = readEmulatedConfig({});

    expect(config.auth).toEqual({ mode: 'none' });
    expect(config.corsAllowOrigins).toBeUndefined();
  });

  it('accepts the same auth=none acknowledgement a deployment needs', () => {
    expect(readEmulatedConfig({ auth: 'none', allowUnauthenticated: 'true' }).auth).toEqual({ mode: 'none' });
  });

  it('starts jwt with the local issuer and default audience when only auth=jwt is given', () => {
    expect(readEmulatedConfig({ auth: 'jwt' }).auth).toEqual({ mode: 'jwt' });
  });

  it('reads the jwt companions as a deployment does', () => {
    const config = readEmulatedConfig({
      auth: 'jwt',
      jwtIssuer: 'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc',
      jwtAudience: 'app1, app2',
      jwtScopes: 'ice:vend',
      channelsClaim: 'custom:channels',
    });

    expect(config.auth).toEqual({
      mode: 'jwt',
      issuer: 'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_abc',
      audience: ['app1', 'app2'],
      scopes: ['ice:vend'],
      channelsClaim: 'custom:channels',
    });
  });

  it('accepts an http:// issuer on loopback, such as a local identity provider', () => {
    const config = readEmulatedConfig({ auth: 'jwt', jwtIssuer: 'http://localhost:8081/realms/dev' });

    expect(config.auth).toMatchObject({ issuer: 'http://localhost:8081/realms/dev' });
  });

  it('accepts an http:// issuer on 127.0.0.1', () => {
    const config = readEmulatedConfig({ auth: 'jwt', jwtIssuer: 'http://127.0.0.1:9000' });

    expect(config.auth).toMatchObject({ issuer: 'http://127.0.0.1:9000' });
  });

  it('refuses an http:// issuer elsewhere, naming jwtIssuer', () => {
    expect(() => readEmulatedConfig({ auth: 'jwt', jwtIssuer: 'http://idp.example.com' })).toThrow(
      /"jwtIssuer"/,
    );
  });

  it('refuses an unknown mode, naming auth', () => {
    expect(() => readEmulatedConfig({ auth: 'cognito' })).toThrow(/"auth".*jwt, iam or none/);
  });

  it('refuses jwt companions in another mode, naming the key', () => {
    expect(() => readEmulatedConfig({ auth: 'iam', channelsClaim: 'channels' })).toThrow(
      /"channelsClaim".*auth=jwt/,
    );
  });

  it('refuses a scope that is not an OAuth scope, naming jwtScopes', () => {
    expect(() => readEmulatedConfig({ auth: 'jwt', jwtScopes: 'read,"write"' })).toThrow(
      /^Invalid context "jwtScopes": /,
    );
  });

  it('reads the allowed CORS origins', () => {
    const config = readEmulatedConfig({ corsAllowOrigins: 'http://localhost:3000,https://app.example.com' });

    expect(config.corsAllowOrigins).toEqual(['http://localhost:3000', 'https://app.example.com']);
  });

  it('refuses a CORS origin with a path, naming corsAllowOrigins', () => {
    expect(() => readEmulatedConfig({ corsAllowOrigins: 'http://localhost:3000/app' })).toThrow(
      /"corsAllowOrigins"/,
    );
  });
});
