/**
 * Deploy-time safety: settings that would deploy but put the account at risk or make the API fail
 * under load. Each is refused (synthesis fails) or warned about (every synthesis prints it, and
 * `cdk synth --strict` fails), naming the setting to change. The refusals that are plain value
 * checks (an unauthenticated API without the acknowledgement, `*` CORS origins with credentials,
 * unlimited log retention) live with the props' validation in lib/ice-broker-validation.ts.
 */
import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The regional Lambda concurrency quota of an account that never asked for more (Service Quotas). */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;

/** The settings the checks read (a subset of the broker's props). */
export interface SafetySettings {
  readonly throttleBurst?: number;
  readonly reservedConcurrency?: number;
  readonly authMode: string;
  readonly signalingRoles?: readonly string[];
}

/** One risky setting: the props it is about and what to do. */
export interface Risk {
  /** Prop paths; these props have the names of their context keys. */
  readonly props: readonly string[];
  readonly message: string;
}

/** What {@link deploymentRisks} found: refusals fail synthesis, warnings are printed. */
export interface Risks {
  readonly refusals: readonly Risk[];
  readonly warnings: readonly Risk[];
}

/**
 * The risky settings of a deployment, given the stage burst it will really have (`throttleBurst`
 * or its default):
 * - refused: `reservedConcurrency` 0 (the function could never run); the master signaling role
 *   with auth mode `none` (anyone could take over a channel's camera side);
 * - warned: a stage burst above the reserved concurrency, or above the default account quota of
 *   1000 when none is reserved (API Gateway would pass on requests that Lambda throttles: callers
 *   get 500s instead of 429s).
 */
export function deploymentRisks(settings: SafetySettings, burst: number): Risks {
  const refusals: Risk[] = [];
  const warnings: Risk[] = [];
  const reserved = settings.reservedConcurrency;
  if (reserved === 0) {
    refusals.push({
      props: ['reservedConcurrency'],
      message: '0 reserves no concurrency: the function could never run and every request would fail',
    });
  } else if (reserved !== undefined && burst > reserved) {
    warnings.push({
      props: ['throttleBurst', 'reservedConcurrency'],
      message:
        `the stage lets bursts of ${burst} requests through to a function that runs at most ${reserved} at once; ` +
        'Lambda throttles the excess and API Gateway answers it 500 instead of 429: lower throttleBurst or raise reservedConcurrency',
    });
  } else if (reserved === undefined && burst > DEFAULT_ACCOUNT_CONCURRENCY) {
    warnings.push({
      props: ['throttleBurst'],
      message:
        `a burst of ${burst} is above the default regional Lambda concurrency quota (${DEFAULT_ACCOUNT_CONCURRENCY}, shared by every ` +
        'function of the account); check `aws lambda get-account-settings` or lower throttleBurst',
    });
  }
  if (settings.authMode === 'none' && settings.signalingRoles?.includes('master')) {
    refusals.push({
      props: ['signalingRoles'],
      message:
        'the master role with auth=none would let anyone on the internet connect as a channel\'s master; use "viewer", or authenticate callers',
    });
  }
  return { refusals, warnings };
}

/** Id of the synth warnings about risky settings (acknowledge one with `Annotations.acknowledgeWarning`). */
export const RISK_WARNING_ID = 'kvs-ice-broker:riskySetting';

/** Prints each warning at every synthesis, on `scope`. */
export function warnAboutRisks(scope: IConstruct, warnings: readonly Risk[]): void {
  for (const warning of warnings) {
    const names = warning.props.map((prop) => `"${prop}"`).join(' / ');
    Annotations.of(scope).addWarningV2(RISK_WARNING_ID, `${names}: ${warning.message}`);
  }
}
