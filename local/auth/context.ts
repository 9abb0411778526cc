import { AUTH_MODES, audienceProblem, claimNameProblem, issuerProblem, scopeProblem } from '../../lib/auth';
import { rejectJwtKeys } from '../../lib/auth-context';
import { type ContextReader, check, contextError, readList, readString } from '../../lib/context-readers';
import { corsOriginsProblem } from '../../lib/cors';
import type { LocalAuthOptions } from './types';

/** Auth and CORS of the local API, from the same context keys a deployment reads. */
export interface LocalAuthContext {
  readonly auth: LocalAuthOptions;
  readonly corsAllowOrigins?: string[];
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Deployments need an https:// issuer; locally an http:// issuer on loopback (a dev IdP) is fine too. */
function localIssuerProblem(issuer: string): string | undefined {
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (url?.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return issuerProblem(issuer);
  const plain = url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  return plain ? undefined : `"${issuer}" must not have credentials, a query or a fragment`;
}

function readMode(read: ContextReader): LocalAuthOptions['mode'] {
  const value = readString(read, 'auth');
  if (value === undefined) return 'none';
  const mode = AUTH_MODES.find((known) => known === value);
  if (mode === undefined)
    throw contextError('auth', `"${value}" is not an auth mode; choose jwt, iam or none`);
  return mode;
}

function readJwt(read: ContextReader): LocalAuthOptions {
  const issuer = readString(read, 'jwtIssuer');
  if (issuer !== undefined) check('jwtIssuer', localIssuerProblem(issuer));
  const audience = readList(read, 'jwtAudience');
  if (audience.length > 0) check('jwtAudience', audienceProblem(audience));
  const scopes = readList(read, 'jwtScopes');
  for (const scope of scopes) check('jwtScopes', scopeProblem(scope));
  const channelsClaim = readString(read, 'channelsClaim');
  if (channelsClaim !== undefined) check('channelsClaim', claimNameProblem(channelsClaim));
  return {
    mode: 'jwt',
    ...(issuer !== undefined ? { issuer } : {}),
    ...(audience.length > 0 ? { audience } : {}),
    ...(scopes.length > 0 ? { scopes } : {}),
    ...(channelsClaim !== undefined ? { channelsClaim } : {}),
  };
}

/**
 * Reads `auth`, its companions and `corsAllowOrigins` for the local runner, with the local
 * defaults: no `auth` means `none` (loopback only), `jwtIssuer` defaults to the local issuer and
 * `jwtAudience` to `kvs-ice-broker-local`. Every error names its key.
 */
export function readLocalAuthContext(read: ContextReader): LocalAuthContext {
  const mode = readMode(read);
  if (mode !== 'jwt') {
    rejectJwtKeys(read, mode);
  }
  const corsAllowOrigins = readList(read, 'corsAllowOrigins');
  check('corsAllowOrigins', corsOriginsProblem(corsAllowOrigins, mode));
  return {
    auth: mode === 'jwt' ? readJwt(read) : { mode },
    ...(corsAllowOrigins.length > 0 ? { corsAllowOrigins } : {}),
  };
}
