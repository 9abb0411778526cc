import { ICE_SERVERS_ROUTE_PATH, iceServersPath } from '@kvs-ice-broker/client/contract';
import type { ToolEnvironment } from './emulator';
import type { JwtAuthOptions, LocalAuthInfo, LocalAuthOptions } from './gateway/auth-mode';
import type { ApiServer } from './gateway/server';
import { ISSUER_ENV } from './identity-provider/token-cli';
import type { MintRequest } from './identity-provider/token-minter';
import { LOCAL_DEFAULT_CHANNEL } from './options';

/** The runner's start-up lines (`npm start`): what is served, how to authenticate, a curl that works as printed. */

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

/**
 * The auth lines for the mode in force: for `jwt` with the dev identity provider, a freshly
 * minted dev token (sub `dev-user`, valid one hour) and the `npm run token` hint; for `iam`, the
 * dev credentials; for `none`, a reminder that deployments must choose.
 */
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

/** What the start-up lines describe. */
export interface StartupBanner {
  /** First line, e.g. `kvs-ice-broker is serving locally (no AWS account needed)`. */
  readonly title: string;
  readonly api: ApiServer;
  readonly auth: LocalAuthInfo;
  readonly authOptions: LocalAuthOptions;
  /** Served channel names; the first one goes into the curl line. */
  readonly channels: readonly string[];
  /** Lines between the API line and the auth lines, already indented. */
  readonly details: readonly string[];
  /** Origins the API answers CORS for (`ServedHandler.corsOrigins`); absent: no CORS line. */
  readonly corsOrigins?: readonly string[];
  /** The emulator's credentials and endpoint for the AWS CLI and SDKs; absent (`--aws`): no such lines. */
  readonly awsTools?: AwsToolsBanner;
}

/** What a script needs to call the emulator as the function does: the environment, and the role to assume. */
export interface AwsToolsBanner {
  readonly environment: ToolEnvironment;
  readonly scopedRoleArn: string;
}

/**
 * The emulator as the AWS CLI and boto3 reach it: one shell line (`unset` of what would override
 * it, then `export` of the developer user's keys, `AWS_ENDPOINT_URL` and the Region, in both
 * variables the SDKs read), and the scoped role's ARN, which those keys may assume.
 */
export function awsToolsLines({ environment, scopedRoleArn }: AwsToolsBanner): string[] {
  const exports = Object.entries(environment)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
  return [
    `  AWS tools  unset AWS_PROFILE AWS_SESSION_TOKEN; export ${exports}`,
    `             (the AWS CLI and boto3 then call the emulator as a developer who may assume the scoped role)`,
    `  role       ${scopedRoleArn}`,
  ];
}

/** The CORS line: which browser origins may call the API, and how to choose them. */
function corsLine(origins: readonly string[], mode: LocalAuthInfo['mode']): string {
  if (origins.length === 0)
    return "  CORS       no browser origin but the API's own (-c corsAllowOrigins=<origins> for apps on others)";
  const how = mode === 'none' ? 'loopback origins by default with auth none; ' : '';
  return `  CORS       ${origins.join(', ')} (${how}-c corsAllowOrigins=<origins> to choose)`;
}

/** The start-up text: what is served, the given details, auth, and a curl command that works as printed. */
export async function startupBanner(banner: StartupBanner): Promise<string> {
  const auth = await authBanner(banner.auth, banner.authOptions, banner.channels);
  const extra = auth.curlArgs.map((arg) => ` ${arg}`).join('');
  const url = `${banner.api.url}${iceServersPath(banner.channels[0] ?? LOCAL_DEFAULT_CHANNEL)}`;
  return [
    banner.title,
    `  API        ${banner.api.url}${ICE_SERVERS_ROUTE_PATH}  (POST)`,
    `  demo       ${banner.api.url}/demo  (in a browser: two relay-only peer connections with the vended credentials)`,
    ...banner.details,
    ...(banner.awsTools ? awsToolsLines(banner.awsTools) : []),
    ...auth.lines,
    ...(banner.corsOrigins ? [corsLine(banner.corsOrigins, banner.auth.mode)] : []),
    `  try        curl -s -X POST ${url} -H 'content-type: application/json'${extra} -d '{"role":"VIEWER"}'`,
    'Ctrl-C stops everything.',
  ].join('\n');
}
