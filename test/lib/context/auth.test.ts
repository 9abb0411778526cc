import { afterAll, describe, expect, it } from 'vitest';
import { parseContext } from '../../../lib/context';
import { buildApp, type Context, removeCloudAssemblies } from '../support/synth';

const MODE_CHOICES =
  'choose -c auth=jwt (with jwtIssuer, jwtAudience[, jwtScopes, channelsClaim]), -c auth=iam, ' +
  'or -c auth=none with -c allowUnauthenticated=true';

const JWT: Context = { auth: 'jwt', jwtIssuer: 'https://auth.example.com/', jwtAudience: 'ice-app' };

/** The route's authentication and CORS settings the context describes. */
function read(context: Context) {
  const { auth, corsAllowOrigins } = parseContext((key) => context[key]).props;
  return { auth, ...(corsAllowOrigins ? { corsAllowOrigins } : {}) };
}

describe('auth context', () => {
  afterAll(removeCloudAssemblies);

  it('fails synth without auth, listing the three modes and their keys', () => {
    expect(() => buildApp({ auth: undefined })).toThrow(`Invalid context "auth": ${MODE_CHOICES}`);
  });

  it('fails synth on an unknown auth mode, listing the three modes', () => {
    expect(() => buildApp({ auth: 'cognito' })).toThrow(
      `Invalid context "auth": "cognito" is not an auth mode; ${MODE_CHOICES}`,
    );
  });

  it.each<[string, Context, RegExp]>([
    [
      'jwtIssuer is missing',
      { ...JWT, jwtIssuer: undefined },
      /^Invalid context "jwtIssuer": auth=jwt needs/,
    ],
    [
      'jwtIssuer is plain http',
      { ...JWT, jwtIssuer: 'http://auth.example.com' },
      /^Invalid context "jwtIssuer": /,
    ],
    [
      'jwtIssuer has a query',
      { ...JWT, jwtIssuer: 'https://auth.example.com/?a=b' },
      /^Invalid context "jwtIssuer": /,
    ],
    [
      'jwtAudience is missing',
      { ...JWT, jwtAudience: undefined },
      /^Invalid context "jwtAudience": auth=jwt needs/,
    ],
    ['jwtAudience is empty', { ...JWT, jwtAudience: ' , ' }, /^Invalid context "jwtAudience": /],
    ['a scope has a quote', { ...JWT, jwtScopes: 'read,"write"' }, /^Invalid context "jwtScopes": /],
    [
      'channelsClaim has a space',
      { ...JWT, channelsClaim: 'my channels' },
      /^Invalid context "channelsClaim": /,
    ],
    [
      'allowUnauthenticated is not a boolean',
      { auth: 'none', allowUnauthenticated: 'yes' },
      /^Invalid context "allowUnauthenticated": /,
    ],
  ])('fails synth when %s, naming the key', (_case, context, message) => {
    expect(() => buildApp(context)).toThrow(message);
  });

  it.each(['jwtIssuer', 'jwtAudience', 'jwtScopes', 'channelsClaim'])(
    'refuses %s outside auth=jwt, where nothing would enforce it',
    (key) => {
      expect(() => buildApp({ auth: 'iam', [key]: 'channels' })).toThrow(
        `Invalid context "${key}": only applies with -c auth=jwt (auth is iam)`,
      );
    },
  );

  it('refuses allowUnauthenticated=true outside auth=none', () => {
    expect(() => buildApp({ ...JWT, allowUnauthenticated: 'true' })).toThrow(
      'Invalid context "allowUnauthenticated": only applies with -c auth=none (auth is jwt)',
    );
  });

  it('reads jwt settings from comma-separated strings, as -c key=value passes them', () => {
    const config = read({
      ...JWT,
      jwtAudience: 'web, mobile',
      jwtScopes: 'ice/servers',
      channelsClaim: 'channels',
    });

    expect(config.auth).toEqual({
      mode: 'jwt',
      issuer: 'https://auth.example.com/',
      audience: ['web', 'mobile'],
      scopes: ['ice/servers'],
      channelsClaim: 'channels',
    });
  });

  it('reads lists and booleans given as JSON, as cdk.json holds them', () => {
    const config = read({
      auth: 'none',
      allowUnauthenticated: true,
      corsAllowOrigins: ['https://a.example'],
    });

    expect(config).toEqual({
      auth: { mode: 'none', allowUnauthenticated: true },
      corsAllowOrigins: ['https://a.example'],
    });
  });

  it.each(['jwtScopes', 'channelsClaim', 'masterChannelsClaim', 'corsAllowOrigins', 'jwtAudience', 'auth'])(
    'refuses an empty %s instead of reading it as unset (an unset variable in a deploy script must not drop a check)',
    (key) => {
      expect(() => read({ ...JWT, [key]: ' ' })).toThrow(
        `Invalid context "${key}": is empty; leave the key out to use its default`,
      );
    },
  );
});
