import type { AwsClientOptions } from '../lambda/aws/clients';
import { loadConfig } from '../lambda/config';
import { createHandler } from '../lambda/create-handler';
import type { ApiHandler } from '../lambda/http/adapter';

/**
 * What one local function instance is built from, as plain JSON (an instance process receives it
 * as its first message): the function's environment, exactly the variables a deployment with the
 * same settings gives it (lib/function-environment.ts), and where its SDK clients find AWS.
 */
export interface LocalFunctionInit {
  /** The function's variables: read with `loadConfig`, as the deployed function reads its environment. */
  readonly environment: Readonly<Record<string, string>>;
  /** The emulator's endpoints, Region and execution credentials; or, with `--aws`, the Region only. */
  readonly aws: AwsClientOptions;
  /**
   * A fixed blocked-callers list (the parameter's format) instead of the SSM parameter's, where
   * there is no parameter to read (`--aws`: the developer's account has none).
   */
  readonly blockedCallers?: string;
}

/**
 * The deployed function's composition root (lambda/create-handler.ts) with the local runner's
 * configuration: the runner and each instance process build their function with it, and nothing
 * is written to their `process.env`. Throws the EnvironmentError a deployed cold start would.
 */
export function createLocalHandler(init: LocalFunctionInit): ApiHandler {
  const { blockedCallers } = init;
  return createHandler(loadConfig(init.environment), {
    aws: init.aws,
    ...(blockedCallers !== undefined ? { blockedCallers: async () => blockedCallers } : {}),
  });
}
