import { startLocalIssuer } from '../identity-provider/issuer';
import type { MintRequest } from '../identity-provider/token-minter';
import { type AuthSite, type DevCredentials, iamAuthorizer } from './iam-authorizer';
import { issuerKeys } from './issuer-keys';
import { jwtAuthorizer } from './jwt-authorizer';
import type { Authorizer } from './server';

/** How the local API authenticates callers; the same choice as the deployment's `-c auth=…`. */
export type LocalAuthOptions =
  | { mode: 'none' }
  | {
      mode: 'jwt';
      /** Issuer URL the tokens must carry in `iss`; default: a local OIDC issuer started with the API. */
      issuer?: string;
      /** Accepted `aud` (or `client_id`) values; default `['kvs-ice-broker-local']`. */
      audience?: readonly string[];
      /** A token must carry at least one of these in its `scope` / `scp` claim (like a route's authorization scopes). */
      scopes?: readonly string[];
      /** Claim that lists the channels a token grants; reaches the function as `CHANNELS_CLAIM`. */
      channelsClaim?: string;
      /** Claim that lists the channels a token may master; reaches the function as `MASTER_CHANNELS_CLAIM`. */
      masterChannelsClaim?: string;
    }
  | { mode: 'iam' };

/** The options of `jwt` mode. */
export type JwtAuthOptions = Extract<LocalAuthOptions, { mode: 'jwt' }>;

/** How the running local API authenticates, for start-up lines and tests. */
export interface LocalAuthInfo {
  mode: LocalAuthOptions['mode'];
  /** jwt with the local issuer: its URL (also the `iss` of its tokens). */
  issuerUrl?: string;
  /** jwt: the accepted audiences. */
  audience?: readonly string[];
  /** jwt with the local issuer: mints a token signed by it. */
  mintToken?(claims: MintRequest): Promise<string>;
  /** iam: the dev credentials requests must be signed with (service `execute-api`). */
  credentials?: DevCredentials;
}

/** Audience of local tokens when `jwtAudience` is not set. */
export const LOCAL_AUDIENCE = 'kvs-ice-broker-local';

/** What an auth mode puts in front of the function, started. */
export interface LocalAuth {
  /** The routes' authorizer; absent in `none` mode: every request reaches the function. */
  readonly authorizer?: Authorizer;
  readonly info: LocalAuthInfo;
  /** Stops the local issuer, if one was started. */
  close(): Promise<void>;
}

const nothingToClose = async (): Promise<void> => undefined;

async function startJwt(options: JwtAuthOptions): Promise<LocalAuth> {
  const audience = options.audience?.length ? options.audience : [LOCAL_AUDIENCE];
  const authorizer = (issuer: string) =>
    jwtAuthorizer({ issuer, audience, scopes: options.scopes, keys: issuerKeys(issuer) });
  if (options.issuer) {
    return {
      authorizer: authorizer(options.issuer),
      info: { mode: 'jwt', audience },
      close: nothingToClose,
    };
  }
  const [first = LOCAL_AUDIENCE] = audience;
  const issuer = await startLocalIssuer({
    audience: first,
    channelsClaim: options.channelsClaim,
    masterChannelsClaim: options.masterChannelsClaim,
  });
  return {
    authorizer: authorizer(issuer.url),
    info: { mode: 'jwt', issuerUrl: issuer.url, audience, mintToken: (claims) => issuer.mint(claims) },
    close: () => issuer.close(),
  };
}

/**
 * Starts what the chosen auth mode needs in front of the function, as API Gateway would have it
 * for a deployment with the same context: nothing for `none`, the JWT authorizer (and, unless an
 * issuer is configured, the dev identity provider) for `jwt`, the SigV4 authorizer with fresh dev
 * credentials for `iam`.
 */
export async function startLocalAuth(options: LocalAuthOptions, site: AuthSite): Promise<LocalAuth> {
  if (options.mode === 'jwt') return startJwt(options);
  if (options.mode === 'none') return { info: { mode: 'none' }, close: nothingToClose };
  const { authorizer, credentials } = iamAuthorizer(site);
  return {
    authorizer,
    info: { mode: 'iam', credentials },
    close: nothingToClose,
  };
}
