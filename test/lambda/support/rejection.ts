import { VendingError } from '../../../lambda/core/errors';

/** The {@link VendingError} a promise rejects with (fails the test if it resolves or rejects with another error). */
export async function rejectionOf(promise: Promise<unknown>): Promise<VendingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof VendingError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}
