import type { JwtAuthOptions, LocalAuthInfo, LocalAuthOptions, MintRequest } from './types';

/** The environment variable `npm run token` reads the issuer URL from. */
export const ISSUER_ENV = 'KVS_ICE_BROKER_ISSUER';

/** What the runner prints about auth, and the curl arguments that pass it. */
export interface AuthBanner {
  /** Start-up lines, already indented like the runner's other lines. */
  readonly lines: string[];
  /** Extra curl arguments for the "try" line (a bearer token or a SigV4 signature). */
  readonly curlArgs: string[];
}

type JwtSettings = Partial<JwtAuthOptions>;

/** The printed dev token: `dev-user`, valid one hour, with the configured scopes and every served channel. */
function devTokenRequest({ scopes, channelsClaim }: JwtSettings, channels: readonly string[]): MintRequest {
  return {
    sub: 'dev-user',
    expiresInSeconds: 3600,
    ...(scopes?.length ? { scope: scopes.join(' ') } : {}),
    ...(channelsClaim ? { channels: [...channels] } : {}),
  };
}

function jwtSummary(info: LocalAuthInfo, jwt: JwtSettings): string {
  const parts = [
    `issuer ${info.issuerUrl ?? jwt.issuer ?? ''}`,
    `audience ${(info.audience ?? []).join(', ')}`,
  ];
  if (jwt.scopes?.length) parts.push(`scopes (any of) ${jwt.scopes.join(' ')}`);
  if (jwt.channelsClaim) parts.push(`channels claim "${jwt.channelsClaim}"`);
  return `  auth       jwt: ${parts.join(', ')}`;
}

async function jwtBanner(info: LocalAuthInfo, jwt: JwtSettings, channels: readonly string[]) {
  if (!info.mintToken || !info.issuerUrl) {
    return {
      lines: [jwtSummary(info, jwt), '  token      get one from your issuer, then: export TOKEN=<token>'],
      curlArgs: [`-H "authorization: Bearer $TOKEN"`],
    };
  }
  const token = await info.mintToken(devTokenRequest(jwt, channels));
  const example = jwt.channelsClaim ? ` --channels ${channels.join(',')}` : '';
  // A route with scopes refuses a token without one of them: the hint shows one as required.
  const [scope] = jwt.scopes ?? [];
  const scopeArg = scope === undefined ? '[--scope "…"]' : `--scope "${scope}"`;
  return {
    lines: [
      jwtSummary(info, jwt),
      `  token      ${token}`,
      '             (sub dev-user, valid 1 h); tokens for other users:',
      `             export ${ISSUER_ENV}=${info.issuerUrl}; npm run token -- --sub alice${example} ${scopeArg}`,
    ],
    curlArgs: [`-H 'authorization: Bearer ${token}'`],
  };
}

/** The runner's start-up lines for the auth mode in force. */
export async function authBanner(
  info: LocalAuthInfo,
  options: LocalAuthOptions,
  channels: readonly string[],
): Promise<AuthBanner> {
  if (info.mode === 'jwt') return jwtBanner(info, options.mode === 'jwt' ? options : {}, channels);
  const credentials = info.credentials;
  if (info.mode === 'iam' && credentials) {
    const { accessKeyId: id, secretAccessKey: secret, region } = credentials;
    return {
      lines: [
        `  auth       iam: sign requests with AWS_ACCESS_KEY_ID=${id} AWS_SECRET_ACCESS_KEY=${secret} (region ${region}, service execute-api)`,
      ],
      curlArgs: [`--aws-sigv4 'aws:amz:${region}:execute-api' --user '${id}:${secret}'`],
    };
  }
  return { lines: ['  auth       none (local only; deployments need -c auth=jwt|iam|none)'], curlArgs: [] };
}
