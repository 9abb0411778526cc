/**
 * The presigned signaling routes (`POST /v1/channels/{channel}/viewer|master`, context
 * `signalingRoles`): which roles a deployment serves, the problems of their settings, the routes,
 * and the Connect actions the scoped role gains for them; and the storage-session routes of the
 * same roles (`…/storage-session/viewer|master`, context `storageSessions`).
 */
import {
  type ChannelRole,
  SIGNALING_ROUTE_PATHS,
  STORAGE_SESSION_ROUTE_PATHS,
  signalingPath,
  storageSessionPath,
} from '@kvs-ice-broker/client/contract';
import {
  type HttpApi,
  HttpMethod,
  HttpRoute,
  type HttpRouteIntegration,
  HttpRouteKey,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import {
  CLAIM_NAME_PATTERN,
  MASTER_CLAIM_VIEWING,
  masterClaimProblem,
  parseSignalingRoles,
} from '../lambda/contract';

/** The settings of the signaling routes, as the broker's props carry them. */
export interface SignalingSettings {
  /** The roles whose routes exist, in lower case (`viewer`, `master`); empty (the default) for none. */
  readonly signalingRoles?: readonly Lowercase<ChannelRole>[];
  readonly auth: {
    readonly mode: string;
    readonly channelsClaim?: string;
    readonly masterChannelsClaim?: string;
  };
}

type SignalingProp = 'signalingRoles' | 'auth.masterChannelsClaim' | 'auth.channelsClaim';

/** One problem of the signaling settings: the prop(s) it is about, and what to do. */
export interface SignalingProblem {
  readonly prop: SignalingProp | readonly SignalingProp[];
  readonly message: string;
}

/**
 * The problems of the signaling settings (none: an empty list): roles other than `""`, `viewer`
 * or `viewer,master`; with `jwt` and the master role, no `masterChannelsClaim` (it grants
 * mastering, apart from viewing: without it every caller could master every channel); a
 * `masterChannelsClaim` that nothing would check, that is no claim name, or that is the
 * `channelsClaim` (every viewer would be a master). Auth mode `none`
 * with the master role is refused by the deployment checks (lib/safety.ts).
 */
export function signalingProblems(settings: SignalingSettings): SignalingProblem[] {
  const parsed = parseSignalingRoles((settings.signalingRoles ?? []).join(','));
  if ('problem' in parsed) return [{ prop: 'signalingRoles', message: parsed.problem }];
  const claim = settings.auth.masterChannelsClaim;
  const { channelsClaim } = settings.auth;
  const problem = masterClaimProblem(settings.auth.mode, parsed, claim, channelsClaim);
  if (problem === 'missing') {
    return [
      {
        prop: 'auth.masterChannelsClaim',
        message:
          'auth=jwt with the master role needs the claim that lists the channels a caller may master ' +
          '(mastering is granted apart from viewing), e.g. -c masterChannelsClaim=master_channels',
      },
    ];
  }
  if (problem === 'unused') {
    return [
      {
        prop: 'auth.masterChannelsClaim',
        message: 'only applies with auth=jwt and the master role (-c signalingRoles=viewer,master)',
      },
    ];
  }
  if (problem === 'viewing') {
    return [
      {
        prop: ['auth.masterChannelsClaim', 'auth.channelsClaim'],
        message: `masterChannelsClaim must name a different claim than channelsClaim ("${channelsClaim}"): ${MASTER_CLAIM_VIEWING}`,
      },
    ];
  }
  if (claim !== undefined && !CLAIM_NAME_PATTERN.test(claim)) {
    return [
      {
        prop: 'auth.masterChannelsClaim',
        message: `"${claim}" is not a claim name (1-256 printable ASCII characters without spaces)`,
      },
    ];
  }
  return [];
}

/**
 * What is wrong with `viewerSlotsPerCaller` beyond its bounds (lambda/settings.ts), or undefined:
 * it is set only where the viewer route is served.
 */
export function viewerSlotsProblem(
  viewerSlotsPerCaller: number | undefined,
  roles: readonly Lowercase<ChannelRole>[] | undefined,
): string | undefined {
  if (viewerSlotsPerCaller === undefined || roles?.includes('viewer')) return undefined;
  return 'only applies with the viewer route (-c signalingRoles=viewer)';
}

/** What the signaling routes share with the ice-servers route. */
export interface SignalingRouteOptions {
  readonly httpApi: HttpApi;
  readonly integration: HttpRouteIntegration;
  readonly authorizer: IHttpRouteAuthorizer;
  readonly authorizationScopes?: string[];
}

/** The two families of per-role routes: their paths, and their construct ids. */
const ROUTES = {
  signaling: {
    paths: SIGNALING_ROUTE_PATHS,
    path: signalingPath,
    ids: { VIEWER: 'ViewerRoute', MASTER: 'MasterRoute' },
  },
  storage: {
    paths: STORAGE_SESSION_ROUTE_PATHS,
    path: storageSessionPath,
    ids: { VIEWER: 'ViewerStorageSessionRoute', MASTER: 'MasterStorageSessionRoute' },
  },
} as const;
type RouteFamily = keyof typeof ROUTES;

/**
 * One `POST` route per served role, behind the same function and authorizer as the ice-servers
 * route: the signaling routes, or with `family` `storage` the storage-session routes.
 */
export function createSignalingRoutes(
  scope: Construct,
  roles: readonly ChannelRole[],
  options: SignalingRouteOptions,
  family: RouteFamily = 'signaling',
): Partial<Record<ChannelRole, HttpRoute>> {
  const { paths, ids } = ROUTES[family];
  return Object.fromEntries(
    roles.map((role) => [
      role,
      new HttpRoute(scope, ids[role], {
        ...options,
        routeKey: HttpRouteKey.with(paths[role], HttpMethod.POST),
      }),
    ]),
  );
}

/** By role, then channel name: the `execute-api` ARN of that role's route on that channel. */
export type SignalingInvokeArns = Partial<Record<ChannelRole, Readonly<Record<string, string>>>>;

/**
 * The `execute-api` ARNs of each served role's route, per channel (IAM grants each role apart):
 * the signaling routes', or with `family` `storage` the storage-session routes'.
 */
export function signalingInvokeArns(
  roles: readonly ChannelRole[],
  channels: readonly string[],
  arnFor: (path: string) => string,
  family: RouteFamily = 'signaling',
): SignalingInvokeArns {
  const { path } = ROUTES[family];
  return Object.fromEntries(
    roles.map((role) => [role, Object.fromEntries(channels.map((name) => [name, arnFor(path(role, name))]))]),
  );
}

/**
 * What is wrong with `storageSessions` beyond its type, or undefined: it needs a served signaling
 * role (a storage session joins the caller's signaling connection, and the role's grant is what
 * allows the join).
 */
export function storageSessionsProblem(
  storageSessions: boolean | undefined,
  roles: readonly Lowercase<ChannelRole>[] | undefined,
): string | undefined {
  if (storageSessions !== true || (roles?.length ?? 0) > 0) return undefined;
  return 'needs the signaling routes (-c signalingRoles=viewer or viewer,master): a storage session joins the signaling connection of a viewer or master';
}
