/**
 * Assertions on typed errors, shared by tests that run in Node and in XS.
 * Checks the stable `code`, never the human message.
 */
import { expect } from 'vitest';

export function expectCode(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected an error with code ${code}`).toBeInstanceOf(Error);
  expect((thrown as { code?: unknown }).code).toBe(code);
}

export async function expectCodeAsync(fn: () => Promise<unknown>, code: string): Promise<void> {
  let thrown: unknown;
  try {
    await fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected an error with code ${code}`).toBeInstanceOf(Error);
  expect((thrown as { code?: unknown }).code).toBe(code);
}
