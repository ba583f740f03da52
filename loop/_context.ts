// The task whose coroutine is running. Deno's AsyncLocalStorage follows a
// task's async function through every await and into the `then()` of a
// thenable, which is what lets a Future know which task awaits it.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Task } from "./tasks.ts";

export const taskContext: AsyncLocalStorage<Task<unknown> | undefined> = new AsyncLocalStorage();

// The async context of this module's evaluation, outside every task.
// Measured on Deno 2.9.6: `AsyncLocalStorage.exit` does not clear the store
// for promise jobs, and `run(undefined)` inside a task costs ~380 ns where
// restoring this snapshot costs ~190 ns.
const clean = AsyncLocalStorage.snapshot();

/** Runs `fn` outside every task, so callbacks it schedules start clean. */
export function outsideTasks<T>(fn: () => T): T {
  return clean(fn);
}
