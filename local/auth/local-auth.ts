import type { Gate } from './gate';
import { iamGate } from './iam-gate';
import { type LocalIssuer, startLocalIssuer } from './issuer';
import { issuerKeys } from './issuer-keys';
import { jwtGate } from './jwt-gate';
import type { LocalAuthInfo, LocalAuthOptions } from './types';

/** Audience of local tokens when `jwtAudience` is not set. */
export const DEFAULT_AUDIENCE = 'kvs-ice-broker-local';

/** Where the local API runs, for the IAM user's ARN and the SigV4 scope. */
export interface AuthSite {
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
}

export interface LocalAuth {
  /** Absent in `none` mode: every request reaches the function. */
  readonly gate?: Gate;
  readonly info: LocalAuthInfo;
  /** What the function needs to know about the mode (`CHANNELS_CLAIM`). */
  readonly functionEnv: Record<string, string>;
  close(): Promise<void>;
}

/** The account id of an ARN (`arn:partition:service:region:account:…`). */
export const accountOfArn = (arn: string): string => arn.split(':')[4] ?? '';

type JwtOptions = Extract<LocalAuthOptions, { mode: 'jwt' }>;

async function startJwt(options: JwtOptions): Promise<LocalAuth> {
  const audience = options.audience?.length ? options.audience : [DEFAULT_AUDIENCE];
  const [first = DEFAULT_AUDIENCE] = audience;
  const issuer: LocalIssuer | undefined = options.issuer
    ? undefined
    : await startLocalIssuer({ audience: first, channelsClaim: options.channelsClaim });
  const issuerUrl = options.issuer ?? issuer?.url ?? '';
  const gate = jwtGate({ issuer: issuerUrl, audience, scopes: options.scopes, keys: issuerKeys(issuerUrl) });
  const info: LocalAuthInfo = issuer
    ? { mode: 'jwt', issuerUrl, audience, mintToken: (claims) => issuer.mint(claims) }
    : { mode: 'jwt', audience };
  return {
    gate,
    info,
    functionEnv: options.channelsClaim ? { CHANNELS_CLAIM: options.channelsClaim } : {},
    close: async () => issuer?.close(),
  };
}

/**
 * Starts what the chosen auth mode needs in front of the function: nothing for `none`, the JWT
 * authorizer (and, unless an issuer is configured, a local OIDC issuer) for `jwt`, the SigV4
 * authorizer with fresh dev credentials for `iam`.
 */
export async function startLocalAuth(options: LocalAuthOptions, site: AuthSite): Promise<LocalAuth> {
  if (options.mode === 'jwt') return startJwt(options);
  const closed = async () => undefined;
  if (options.mode === 'none') return { info: { mode: 'none' }, functionEnv: {}, close: closed };
  const { gate, credentials } = iamGate(site);
  return { gate, info: { mode: 'iam', credentials }, functionEnv: {}, close: closed };
}
