import { loadConfig } from './config';
import { createHandler } from './create-handler';

/**
 * The Lambda entry (`index.handler` of the bundle). Built once per cold start from the function's
 * environment: a missing or invalid variable fails the init with an EnvironmentError that names
 * it, instead of failing every request later.
 */
export const handler = createHandler(loadConfig(process.env));
