/**
 * The function's environment for a broker's props: the one mapping of props to variables, used by
 * the construct (lib/ice-broker.ts) in AWS and by the local runner (local/runner.ts) on a laptop.
 * The settings table (lambda/settings.ts) says which prop sets which variable; the function reads
 * them back with `loadConfig` (lambda/config.ts).
 */
import { Duration } from 'aws-cdk-lib';
import type { AuthMode } from '../lambda/contract';
import { type SettingName, type Settings, settingEntries, valueAt } from '../lambda/settings';
import type { IceBrokerProps } from './ice-broker-props';

/** The settings whose variables the stack sets from resources it creates (lambda/settings.ts `resource`). */
type ResourceName = {
  [K in SettingName]: Settings[K] extends { readonly resource: true } ? K : never;
}[SettingName];

/**
 * What the function's environment needs besides the props: the resources it uses, by setting
 * name. In AWS the stack's (tokens that resolve at deploy time); locally the emulator's.
 */
export type FunctionResources = {
  /** The required ones: the scoped role's ARN, the channels (JSON object of name to ARN), the blocked-callers parameter. */
  readonly [K in ResourceName as Settings[K] extends { readonly required: true } ? K : never]: string;
} & {
  /** The others: the shared table, which a local single instance goes without. */
  readonly [K in ResourceName as Settings[K] extends { readonly required: true } ? never : K]?: string;
};

/** The path of the prop that sets each variable a context key sets (`minRemainingTtl`, `auth.channelsClaim` …). */
type VariableProp = {
  [K in SettingName]: Settings[K] extends { readonly context: string; readonly env: string }
    ? Settings[K] extends { readonly prop: infer P extends string }
      ? P
      : K
    : never;
}[SettingName];

/**
 * The props that set the function's variables (`minRemainingTtl`, `signalingRoles`,
 * `viewerSlotsPerCaller` …: lambda/settings.ts rows with a context key and a variable), and the
 * auth mode with its claims: what the function's environment depends on. Any
 * {@link IceBrokerProps} is one; so are the local runner's settings, whose auth options carry the
 * same names.
 */
export type FunctionSettingProps = Pick<IceBrokerProps, Extract<VariableProp, keyof IceBrokerProps>> & {
  readonly auth: {
    readonly mode: AuthMode;
    readonly channelsClaim?: string;
    readonly masterChannelsClaim?: string;
  };
};

/**
 * The props of `props` that set the function's variables, besides the auth mode (see
 * {@link FunctionSettingProps}): what the local runner takes from a context as a deployment would.
 */
export function functionSettingsOf(props: IceBrokerProps): Omit<FunctionSettingProps, 'auth'> {
  return Object.fromEntries(
    settingEntries().flatMap(([name, setting]) => {
      const prop = setting.prop ?? name;
      const value = setting.context && setting.env && !prop.includes('.') ? valueAt(props, prop) : undefined;
      return value === undefined ? [] : [[prop, value]];
    }),
  );
}

/**
 * The function's environment variables: each resource, and each prop that sets a variable
 * (lambda/settings.ts `env`). A prop left unset sets no variable, so that the function's own
 * default applies (lambda/config.ts).
 */
export function functionEnvironment(
  props: FunctionSettingProps,
  resources: FunctionResources,
): Record<string, string> {
  const byName: Partial<Record<SettingName, string>> = resources;
  const environment: Record<string, string> = {};
  for (const [name, setting] of settingEntries()) {
    if (setting.env === undefined) continue;
    const value = setting.resource
      ? byName[name]
      : setting.context
        ? valueAt(props, setting.prop ?? name)
        : undefined;
    const text = variableText(value);
    if (text !== undefined) environment[setting.env] = text;
  }
  return environment;
}

/** A prop's value as its variable holds it (a duration in whole seconds, a list comma-separated); undefined: none. */
function variableText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Duration) return String(value.toSeconds());
  if (Array.isArray(value)) return value.length > 0 ? value.join(',') : undefined;
  return String(value);
}
