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
    }
  | { mode: 'iam' };

/** The options of `jwt` mode. */
export type JwtAuthOptions = Extract<LocalAuthOptions, { mode: 'jwt' }>;

/** What a local issuer puts into a token it mints. */
export interface MintRequest {
  sub: string;
  /** Channel names, in the configured channels claim (default claim name `channels`). */
  channels?: string[];
  /** Space-separated OAuth scopes, in the `scope` claim. */
  scope?: string;
  /** Seconds from now until `exp` (default 3600); negative mints an already expired token. */
  expiresInSeconds?: number;
  /** Seconds from now until `nbf`; absent means no `nbf` claim. */
  notBeforeSeconds?: number;
}

/** The local dev key pair that `iam` mode accepts, and where it is valid. */
export interface DevCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** How the running local API authenticates, for start-up lines and tests. */
export interface LocalAuthInfo {
  mode: 'none' | 'jwt' | 'iam';
  /** jwt with the local issuer: its URL (also the `iss` of its tokens). */
  issuerUrl?: string;
  /** jwt: the accepted audiences. */
  audience?: readonly string[];
  /** jwt with the local issuer: mints a token signed by it. */
  mintToken?(claims: MintRequest): Promise<string>;
  /** iam: the dev credentials requests must be signed with (service `execute-api`). */
  credentials?: DevCredentials;
}
