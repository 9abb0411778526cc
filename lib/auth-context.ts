/**
 * The context keys that choose how callers authenticate (`auth` and its companions) and which
 * browser origins may call the API (`corsAllowOrigins`).
 */
import {
  AUTH_MODES,
  type AuthMode,
  audienceProblem,
  claimNameProblem,
  type IceBrokerAuth,
  issuerProblem,
  type JwtAuth,
  scopeProblem,
} from './auth';
import {
  type ContextReader,
  check,
  contextError,
  readBoolean,
  readList,
  readString,
} from './context-readers';
import { corsOriginsProblem } from './cors';

/** The route's authentication and CORS settings read from the context. */
export interface AuthContext {
  readonly auth: IceBrokerAuth;
  /** Unset when the key is unset or empty. */
  readonly corsAllowOrigins?: readonly string[];
}

const MODE_CHOICES =
  'choose -c auth=jwt (with jwtIssuer, jwtAudience[, jwtScopes, channelsClaim]), -c auth=iam, ' +
  'or -c auth=none with -c allowUnauthenticated=true';

/** Keys that only mean something with `auth=jwt`. */
const JWT_KEYS = ['jwtIssuer', 'jwtAudience', 'jwtScopes', 'channelsClaim'];

/** Reads `auth`, its companion keys and `corsAllowOrigins`; every error names its key. */
export function readAuthContext(read: ContextReader): AuthContext {
  const mode = readMode(read);
  if (mode !== 'jwt') rejectJwtKeys(read, mode);
  const allowUnauthenticated = readBoolean(read, 'allowUnauthenticated');
  if (mode !== 'none' && allowUnauthenticated === true) {
    throw contextError('allowUnauthenticated', `only applies with -c auth=none (auth is ${mode})`);
  }
  const corsAllowOrigins = readList(read, 'corsAllowOrigins');
  check('corsAllowOrigins', corsOriginsProblem(corsAllowOrigins, mode));
  return {
    auth: readAuth(read, mode, allowUnauthenticated),
    ...(corsAllowOrigins.length > 0 ? { corsAllowOrigins } : {}),
  };
}

function readMode(read: ContextReader): AuthMode {
  const value = readString(read, 'auth');
  if (value === undefined) throw contextError('auth', MODE_CHOICES);
  const mode = AUTH_MODES.find((known) => known === value);
  if (mode === undefined) throw contextError('auth', `"${value}" is not an auth mode; ${MODE_CHOICES}`);
  return mode;
}

function readAuth(read: ContextReader, mode: AuthMode, allowUnauthenticated?: boolean): IceBrokerAuth {
  switch (mode) {
    case 'jwt':
      return readJwt(read);
    case 'iam':
      return { mode };
    case 'none':
      if (allowUnauthenticated !== true) {
        throw contextError(
          'allowUnauthenticated',
          'auth=none lets anyone on the internet get TURN credentials; ' +
            'confirm it with -c allowUnauthenticated=true (for demos only)',
        );
      }
      return { mode, allowUnauthenticated };
  }
}

function readJwt(read: ContextReader): JwtAuth {
  const issuer = readString(read, 'jwtIssuer');
  if (issuer === undefined) {
    throw contextError(
      'jwtIssuer',
      "auth=jwt needs the token issuer's https:// URL, exactly as in the tokens' iss claim",
    );
  }
  check('jwtIssuer', issuerProblem(issuer));
  const audience = readList(read, 'jwtAudience');
  if (audience.length === 0) {
    throw contextError(
      'jwtAudience',
      'auth=jwt needs at least one accepted audience (comma-separated), e.g. the app client ID',
    );
  }
  check('jwtAudience', audienceProblem(audience));
  const scopes = readList(read, 'jwtScopes');
  scopes.forEach((scope) => {
    check('jwtScopes', scopeProblem(scope));
  });
  const channelsClaim = readString(read, 'channelsClaim');
  if (channelsClaim !== undefined) check('channelsClaim', claimNameProblem(channelsClaim));
  return {
    mode: 'jwt',
    issuer,
    audience,
    ...(scopes.length > 0 ? { scopes } : {}),
    ...(channelsClaim !== undefined ? { channelsClaim } : {}),
  };
}

/** Refuses the keys that only `auth=jwt` reads, when `mode` is another mode: nothing would enforce them. */
export function rejectJwtKeys(read: ContextReader, mode: AuthMode): void {
  const stray = JWT_KEYS.find((key) => readList(read, key).length > 0);
  if (stray !== undefined) throw contextError(stray, `only applies with -c auth=jwt (auth is ${mode})`);
}
