// Module functions for the executor tests: `{ module, name }` calls import
// this file in the Worker (or the child process) and call an export.

/** Three times `x`. */
export function triple(x: number): number {
  return x * 3;
}

/** `value`, after `ms` milliseconds of the worker's own timers. */
export async function slowEcho<T>(value: T, ms: number): Promise<T> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

/** Throws a RangeError with `message`. */
export function fail(message: string): never {
  throw new RangeError(message);
}

let calls = 0;

/** Counts its calls: module state lives as long as the worker. */
export function count(): number {
  return ++calls;
}

/** Not a function. */
export const notAFunction = 1;
