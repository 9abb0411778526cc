/** The ice-servers route's authorizer, one per {@link IceBrokerAuth} mode. */
import { Annotations, Validations } from 'aws-cdk-lib';
import { HttpNoneAuthorizer, type HttpRoute, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { IceBrokerAuth } from './ice-broker-props';

/** The cdk-nag reason, and the synth warning's gist, for an API without authentication. */
export const NO_AUTH_REASON =
  'auth=none acknowledged by the operator with -c allowUnauthenticated=true; for demos only';

/** Id of the synth warning about an API without authentication (acknowledge it with `Annotations.acknowledgeWarning`). */
export const NO_AUTH_WARNING_ID = 'kvs-ice-broker:unauthenticatedApi';

/** The route's authorizer and the OAuth scopes it requires. */
export interface RouteAuthorization {
  readonly authorizer: IHttpRouteAuthorizer;
  /** Unset when no scope is required. */
  readonly authorizationScopes?: string[];
}

/** The authorizer of `auth`'s mode; an explicit `NONE` one for mode `none`. */
export function routeAuthorization(auth: IceBrokerAuth): RouteAuthorization {
  switch (auth.mode) {
    case 'jwt':
      return {
        authorizer: new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: [...auth.audience] }),
        ...(auth.scopes && auth.scopes.length > 0 ? { authorizationScopes: [...auth.scopes] } : {}),
      };
    case 'iam':
      return { authorizer: new HttpIamAuthorizer() };
    case 'none':
      return { authorizer: new HttpNoneAuthorizer() };
  }
}

/**
 * Records the operator's choice of an unauthenticated route: cdk-nag's finding about it is
 * acknowledged with {@link NO_AUTH_REASON}, and every synthesis prints a warning.
 */
export function flagUnauthenticatedRoute(route: HttpRoute): void {
  Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: NO_AUTH_REASON });
  Annotations.of(route).addWarningV2(
    NO_AUTH_WARNING_ID,
    'The ice-servers route has no authentication: anyone who finds the URL gets TURN credentials that ' +
      `spend this account's KVS quota and relay bandwidth (${NO_AUTH_REASON}). ` +
      'Deploy with -c auth=jwt or -c auth=iam for anything else.',
  );
}
