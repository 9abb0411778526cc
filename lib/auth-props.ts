import {
  AUTH_MODES,
  audienceProblem,
  claimNameProblem,
  type IceBrokerAuth,
  issuerProblem,
  type JwtAuth,
  scopeProblem,
} from './auth';
import { corsOriginsProblem } from './cors';
import { checkProp, propError } from './prop-error';

const MODE_CHOICES =
  'give { mode: "jwt", issuer, audience }, { mode: "iam" } or { mode: "none", allowUnauthenticated: true }';

/**
 * Throws an error naming the offending prop when `auth` and `corsAllowOrigins` cannot configure
 * the route. Checks at run time what the types promise, for callers in plain JavaScript.
 */
export function validateAuthProps(
  auth: IceBrokerAuth | undefined,
  corsAllowOrigins?: readonly string[],
): void {
  const mode: unknown = auth?.mode;
  if (auth === undefined || !AUTH_MODES.some((known) => known === mode)) {
    throw propError(
      'auth',
      `${auth === undefined ? 'missing' : `unknown mode ${JSON.stringify(mode)}`}; ${MODE_CHOICES}`,
    );
  }
  if (auth.mode === 'jwt') validateJwt(auth);
  if (auth.mode === 'none' && auth.allowUnauthenticated !== true) {
    throw propError(
      'auth.allowUnauthenticated',
      'must be true: an API without authentication lets anyone on the internet use your TURN quota',
    );
  }
  checkProp('corsAllowOrigins', corsOriginsProblem(corsAllowOrigins ?? [], auth.mode));
}

function validateJwt(auth: JwtAuth): void {
  checkProp('auth.issuer', issuerProblem(auth.issuer));
  checkProp('auth.audience', audienceProblem(auth.audience));
  auth.scopes?.forEach((scope, index) => {
    checkProp(`auth.scopes[${index}]`, scopeProblem(scope));
  });
  if (auth.channelsClaim !== undefined) checkProp('auth.channelsClaim', claimNameProblem(auth.channelsClaim));
}
