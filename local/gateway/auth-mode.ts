import { ENV } from '../../lambda/contract';
import type { Gate } from './gate';
import { iamGate } from './iam-gate';
import { startLocalIssuer } from './issuer';
import { issuerKeys } from './issuer-keys';
import { jwtGate } from './jwt-gate';
import type { JwtAuthOptions, LocalAuthInfo, LocalAuthOptions } from './types';

/** Audience of local tokens when `jwtAudience` is not set. */
const DEFAULT_AUDIENCE = 'kvs-ice-broker-local';

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
  /** What the function needs to know about the mode (`AUTH_MODE`, `CHANNELS_CLAIM`). */
  readonly functionEnv: Record<string, string>;
  close(): Promise<void>;
}

/** The account id of an ARN (`arn:partition:service:region:account:…`). */
export const accountOfArn = (arn: string): string => arn.split(':')[4] ?? '';

const nothingToClose = async (): Promise<void> => undefined;

async function startJwt(options: JwtAuthOptions): Promise<LocalAuth> {
  const audience = options.audience?.length ? options.audience : [DEFAULT_AUDIENCE];
  const gate = (issuer: string) =>
    jwtGate({ issuer, audience, scopes: options.scopes, keys: issuerKeys(issuer) });
  const functionEnv: Record<string, string> = {
    [ENV.authMode]: 'jwt',
    ...(options.channelsClaim ? { [ENV.channelsClaim]: options.channelsClaim } : {}),
  };
  if (options.issuer) {
    return {
      gate: gate(options.issuer),
      info: { mode: 'jwt', audience },
      functionEnv,
      close: nothingToClose,
    };
  }
  const [first = DEFAULT_AUDIENCE] = audience;
  const issuer = await startLocalIssuer({ audience: first, channelsClaim: options.channelsClaim });
  return {
    gate: gate(issuer.url),
    info: { mode: 'jwt', issuerUrl: issuer.url, audience, mintToken: (claims) => issuer.mint(claims) },
    functionEnv,
    close: () => issuer.close(),
  };
}

/**
 * Starts what the chosen auth mode needs in front of the function: nothing for `none`, the JWT
 * authorizer (and, unless an issuer is configured, a local OIDC issuer) for `jwt`, the SigV4
 * authorizer with fresh dev credentials for `iam`.
 */
export async function startLocalAuth(options: LocalAuthOptions, site: AuthSite): Promise<LocalAuth> {
  if (options.mode === 'jwt') return startJwt(options);
  if (options.mode === 'none')
    return { info: { mode: 'none' }, functionEnv: { [ENV.authMode]: 'none' }, close: nothingToClose };
  const { gate, credentials } = iamGate(site);
  return {
    gate,
    info: { mode: 'iam', credentials },
    functionEnv: { [ENV.authMode]: 'iam' },
    close: nothingToClose,
  };
}
