import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';
import { z } from 'zod';

const DAY_SECONDS = 86_400;

/** What the dev identity provider puts into a token it mints. */
export interface MintRequest {
  /** `sub`, 1-1024 characters. */
  sub: string;
  /** Channel names, in the configured channels claim (default claim name `channels`); at most 100. */
  channels?: string[];
  /** Channel names the token may master, in the configured master channels claim (default `master_channels`); at most 100. */
  masterChannels?: string[];
  /** Space-separated OAuth scopes, in the `scope` claim. */
  scope?: string;
  /** Seconds from now until `exp` (default 3600, at most a day); negative mints an already expired token. */
  expiresInSeconds?: number;
  /** Seconds from now until `nbf` (at most a day); absent means no `nbf` claim. */
  notBeforeSeconds?: number;
}

/** A mint request as the token endpoint and `mintToken` accept it. */
const MintRequestSchema = z.strictObject({
  sub: z.string().min(1).max(1024),
  channels: z.array(z.string().min(1).max(256)).max(100).optional(),
  masterChannels: z.array(z.string().min(1).max(256)).max(100).optional(),
  scope: z.string().max(1024).optional(),
  expiresInSeconds: z.int().min(-DAY_SECONDS).max(DAY_SECONDS).optional(),
  notBeforeSeconds: z.int().min(0).max(DAY_SECONDS).optional(),
}) satisfies z.ZodType<MintRequest>;

/** A mint request that does not fit {@link MintRequest}; the message names the field at fault. */
export class MintRequestError extends Error {
  override readonly name = 'MintRequestError';
}

/** Whom the minted tokens come from and are for. */
export interface MinterOptions {
  /** `iss` of the tokens. */
  readonly issuer: string;
  /** `aud` of the tokens. */
  readonly audience: string;
  /** Claim that carries `channels`; default `channels`. */
  readonly channelsClaim?: string;
  /** Claim that carries `masterChannels`; default `master_channels`. */
  readonly masterChannelsClaim?: string;
}

/** A signing key of the dev identity provider and the tokens it signs. */
export interface TokenMinter {
  /** The public half of the signing key, as the issuer's `jwks_uri` serves it. */
  readonly jwks: JSONWebKeySet;
  /** A signed RS256 token; throws {@link MintRequestError} for an invalid request. */
  mint(request: unknown): Promise<string>;
}

/** Parses a mint request, naming the field at fault. */
function parseMintRequest(request: unknown): MintRequest {
  const parsed = MintRequestSchema.safeParse(request);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new MintRequestError(`${where}${issue?.message ?? 'invalid request'}`);
}

/** A fresh RS256 key pair (kept in memory only, its `kid` a random UUID) and the tokens it signs. */
export async function createTokenMinter(options: MinterOptions): Promise<TokenMinter> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  return {
    jwks,
    mint: async (request) => {
      const {
        sub,
        channels,
        masterChannels,
        scope,
        expiresInSeconds = 3600,
        notBeforeSeconds,
      } = parseMintRequest(request);
      const now = Math.floor(Date.now() / 1000);
      const extra: Record<string, unknown> = {};
      if (channels !== undefined) extra[options.channelsClaim ?? 'channels'] = channels;
      if (masterChannels !== undefined)
        extra[options.masterChannelsClaim ?? 'master_channels'] = masterChannels;
      if (scope !== undefined) extra.scope = scope;
      const jwt = new SignJWT(extra)
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + expiresInSeconds)
        .setJti(randomUUID());
      if (notBeforeSeconds !== undefined) jwt.setNotBefore(now + notBeforeSeconds);
      return jwt.sign(privateKey);
    },
  };
}
