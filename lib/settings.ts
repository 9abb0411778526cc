/**
 * Defaults and limits of the broker's numeric settings, shared by the context parser
 * (errors name the context key) and the construct (errors name the prop).
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** KVS TURN credentials are valid for 300 s (hard limit). */
export const TURN_CREDENTIAL_LIFETIME_SECONDS = 300;

export const DEFAULT_THROTTLE_RATE = 50;
export const DEFAULT_THROTTLE_BURST = 100;
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;
export const DEFAULT_MIN_REMAINING_TTL_SECONDS = 120;

/** The retention periods CloudWatch Logs accepts (CDK's `INFINITE` is not one). */
const LOG_RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

/** Steady-state requests per second of the API stage. */
export function throttleRateProblem(rate: number): string | undefined {
  return Number.isFinite(rate) && rate > 0 ? undefined : `${rate} must be a number greater than 0`;
}

/** Burst capacity (requests) of the API stage. */
export function throttleBurstProblem(burst: number): string | undefined {
  return Number.isInteger(burst) && burst > 0 ? undefined : `${burst} must be an integer greater than 0`;
}

/** Days CloudWatch keeps the function's and the API's logs. */
export function logRetentionDaysProblem(days: number): string | undefined {
  return LOG_RETENTION_DAYS.includes(days)
    ? undefined
    : `${days} is not a CloudWatch Logs retention period; use one of ${LOG_RETENTION_DAYS.join(', ')}`;
}

/** Seconds of validity a returned TURN credential must still have. */
export function minRemainingTtlProblem(seconds: number): string | undefined {
  const max = TURN_CREDENTIAL_LIFETIME_SECONDS - 1;
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= max
    ? undefined
    : `${seconds} must be an integer from 0 to ${max} (TURN credentials live ${TURN_CREDENTIAL_LIFETIME_SECONDS} s)`;
}
