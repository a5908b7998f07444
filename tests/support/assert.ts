/**
 * Assertions on typed errors, shared by tests that run in Node and in XS.
 * Checks the stable `code`, never the human message.
 */
import { expect } from 'vitest';

/** Asserts `fn` throws an Error with `code`; returns it (for further checks). */
export function expectCode(fn: () => unknown, code: string): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected an error with code ${code}`).toBeInstanceOf(Error);
  expect((thrown as { code?: unknown }).code).toBe(code);
  return thrown as Error;
}

/** Asserts the promise `fn` returns rejects with an Error with `code`; returns it. */
export async function expectCodeAsync(fn: () => Promise<unknown>, code: string): Promise<Error> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected an error with code ${code}`).toBeInstanceOf(Error);
  expect((thrown as { code?: unknown }).code).toBe(code);
  return thrown as Error;
}
