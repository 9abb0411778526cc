import { configError } from './config-error';

/** `Invalid IceBroker prop "prop": message`. */
export function propError(prop: string | readonly string[], message: string): Error {
  return configError('IceBroker prop', prop, message);
}

/** Throws an error naming `prop` when `problem` is set. */
export function checkProp(prop: string, problem: string | undefined): void {
  if (problem !== undefined) throw propError(prop, problem);
}
