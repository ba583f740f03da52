/**
 * Executors on Workers: `WorkerPoolExecutor` (also `ThreadPoolExecutor`),
 * `ProcessPoolExecutor`, `runInExecutor` and `toThread`.
 *
 * @module
 */
import { NotImplementedError } from "./exceptions.ts";
import type { EventLoop } from "./event_loop.ts";
import type { Future } from "./futures.ts";

/** A function an executor can run: self-contained, or a module's export. */
// deno-lint-ignore no-explicit-any
export type ExecutorFunction = ((...args: any[]) => unknown) | {
  module: URL | string;
  name: string;
};

/** `loop.runInExecutor(executor, func, ...args)`. */
export function runInExecutor<T>(
  _loop: EventLoop,
  _executor: unknown,
  _func: ExecutorFunction,
  _args: unknown[],
): Future<T> {
  throw new NotImplementedError("runInExecutor: work in progress");
}
