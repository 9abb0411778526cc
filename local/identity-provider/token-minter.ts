import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';
import { z } from 'zod';
import type { MintRequest } from './types';

const DAY_SECONDS = 86_400;

/** A mint request as the token endpoint and `mintToken` accept it. */
const MintRequestSchema = z.strictObject({
  sub: z.string().min(1).max(1024),
  channels: z.array(z.string().min(1).max(256)).max(100).optional(),
  scope: z.string().max(1024).optional(),
  expiresInSeconds: z.int().min(-DAY_SECONDS).max(DAY_SECONDS).optional(),
  notBeforeSeconds: z.int().min(0).max(DAY_SECONDS).optional(),
}) satisfies z.ZodType<MintRequest>;

export class MintRequestError extends Error {
  override readonly name = 'MintRequestError';
}

export interface MinterOptions {
  /** `iss` of the tokens. */
  readonly issuer: string;
  /** `aud` of the tokens. */
  readonly audience: string;
  /** Claim that carries `channels`; default `channels`. */
  readonly channelsClaim?: string;
}

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

/** A fresh RS256 key pair (kept in memory only) and the tokens it signs. */
export async function createTokenMinter(options: MinterOptions): Promise<TokenMinter> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  return {
    jwks,
    mint: async (request) => {
      const { sub, channels, scope, expiresInSeconds = 3600, notBeforeSeconds } = parseMintRequest(request);
      const now = Math.floor(Date.now() / 1000);
      const extra: Record<string, unknown> = {};
      if (channels !== undefined) extra[options.channelsClaim ?? 'channels'] = channels;
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
