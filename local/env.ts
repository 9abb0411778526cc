/**
 * Applies `overrides` to an environment (`process.env` or a copy for a child process): a string
 * sets the variable, `undefined` removes it, as the function's environment in a deployment has
 * exactly the variables the stack gives it. Returns `target`.
 */
export function applyEnvironment(
  target: NodeJS.ProcessEnv,
  overrides: Readonly<Record<string, string | undefined>>,
): NodeJS.ProcessEnv {
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
  return target;
}
