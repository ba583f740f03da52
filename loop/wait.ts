/**
 * `wait` and `asCompleted`: wait on several futures at once.
 *
 * @module
 */
import { TimeoutError } from "./exceptions.ts";
import { Future } from "./futures.ts";
import { ensureFuture } from "./tasks.ts";
import type { Awaitable } from "./tasks.ts";
import type { TimerHandle } from "./handles.ts";
import { getRunningLoop } from "./_running.ts";

/**
 * `wait` returns when any future finishes or is cancelled.
 *
 * @example
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait } from "@asyncio/asyncio";
 * await run(async () => {
 *   const fast = createTask(() => sleep(0.01, "fast"));
 *   const slow = createTask(() => sleep(10));
 *   const [done, pending] = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 *   console.log(done.has(fast), pending.has(slow)); // true true
 *   slow.cancel();
 * });
 * ```
 */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/**
 * `wait` returns when any future finishes with an exception, or all are done.
 *
 * @example
 * ```ts
 * import { createTask, FIRST_EXCEPTION, run, sleep, wait } from "@asyncio/asyncio";
 * await run(async () => {
 *   const failing = createTask(async () => {
 *     await sleep(0.01);
 *     throw new Error("boom");
 *   });
 *   const slow = createTask(() => sleep(10));
 *   const [done] = await wait([failing, slow], { returnWhen: FIRST_EXCEPTION });
 *   console.log(done.has(failing), slow.done()); // true false
 *   slow.cancel();
 *   failing.exception();
 * });
 * ```
 */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/**
 * `wait` returns when all futures are done (the default).
 *
 * @example
 * ```ts
 * import { ALL_COMPLETED, createTask, run, sleep, wait } from "@asyncio/asyncio";
 * await run(async () => {
 *   const tasks = [createTask(() => sleep(0.01)), createTask(() => sleep(0.02))];
 *   const [done, pending] = await wait(tasks, { returnWhen: ALL_COMPLETED });
 *   console.log(done.size, pending.size); // 2 0
 * });
 * ```
 */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When `wait` returns. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of `wait`. */
export interface WaitOptions {
  /** Seconds to wait at most; `wait` does not throw when it elapses. */
  timeout?: number | null;
  /** `FIRST_COMPLETED`, `FIRST_EXCEPTION` or `ALL_COMPLETED` (the default). */
  returnWhen?: ReturnWhen;
}

function toFutures<T>(fs: Iterable<Awaitable<T>>, where: string): Set<Future<T>> {
  if (fs instanceof Future || typeof (fs as unknown as PromiseLike<T>)?.then === "function") {
    throw new TypeError(`${where}() expects an iterable of futures, not a single one`);
  }
  if (typeof (fs as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`${where}() expects an iterable of futures`);
  }
  const futures = new Set<Future<T>>();
  for (const f of fs) {
    if (typeof f === "function") {
      throw new TypeError(
        `Passing coroutines to ${where}() is forbidden, use tasks explicitly (createTask)`,
      );
    }
    futures.add(ensureFuture(f));
  }
  return futures;
}

function checkTimeout(timeout: number | null | undefined): number | null {
  if (timeout === undefined || timeout === null) return null;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError("timeout must be a number of seconds or null");
  }
  return timeout;
}

/**
 * Waits for the futures and tasks in `fs` and returns `[done, pending]`, two
 * sets. Promises are wrapped in futures; coroutine functions are refused,
 * as in Python 3.11+. The timeout does not throw: what is not done is in
 * `pending`.
 *
 * @example
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait } from "@asyncio/asyncio";
 * await run(async () => {
 *   const fast = createTask(() => sleep(0.01, "fast"));
 *   const slow = createTask(() => sleep(1, "slow"));
 *   const [done, pending] = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 *   console.log(done.has(fast), pending.has(slow)); // true true
 *   slow.cancel();
 * });
 * ```
 */
export async function wait<T>(
  fs: Iterable<Awaitable<T>>,
  options: WaitOptions = {},
): Promise<[Set<Future<T>>, Set<Future<T>>]> {
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (![FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED].includes(returnWhen)) {
    throw new RangeError(`Invalid returnWhen value: ${returnWhen}`);
  }
  const timeout = checkTimeout(options.timeout);
  const futures = toFutures(fs, "wait");
  if (futures.size === 0) throw new RangeError("Set of Tasks/Futures is empty.");
  const loop = getRunningLoop();
  const waiter = loop.createFuture<void>();
  let timer: TimerHandle | null = null;
  if (timeout !== null) {
    timer = loop.callLater(timeout, () => {
      if (!waiter.done()) waiter.setResult();
    });
  }
  let counter = futures.size;
  const onCompletion = (f: Future<T>) => {
    counter--;
    if (
      counter <= 0 || returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== null)
    ) {
      timer?.cancel();
      if (!waiter.done()) waiter.setResult();
    }
  };
  for (const f of futures) f.addDoneCallback(onCompletion);
  try {
    await waiter;
  } finally {
    timer?.cancel();
    for (const f of futures) f.removeDoneCallback(onCompletion);
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const f of futures) (f.done() ? done : pending).add(f);
  return [done, pending];
}

/** Options of `asCompleted`. */
export interface AsCompletedOptions {
  /** Seconds after which the waits still pending throw `TimeoutError`. */
  timeout?: number | null;
}

/**
 * What `asCompleted` returns: iterate it with `for` to get one awaitable
 * per input, each giving the next result to arrive, or with `for await` to
 * get the input futures themselves in the order they finish (Python 3.13).
 */
export interface AsCompletedIterator<T> extends Iterable<Promise<T>>, AsyncIterable<Future<T>> {}

/**
 * Runs the awaitables concurrently and gives them in the order they
 * complete. After `timeout` seconds the remaining waits throw
 * `TimeoutError`.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const order: string[] = [];
 *   for (const next of asCompleted([sleep(0.02, "slow"), sleep(0.01, "fast")])) {
 *     order.push(await next);
 *   }
 *   console.log(order); // ["fast", "slow"]
 * });
 * ```
 */
export function asCompleted<T>(
  fs: Iterable<Awaitable<T>>,
  options: AsCompletedOptions = {},
): AsCompletedIterator<T> {
  const timeout = checkTimeout(options.timeout);
  const todo = toFutures(fs, "asCompleted");
  const total = todo.size;
  const loop = getRunningLoop();
  // Finished futures in completion order; `null` stands for the timeout.
  const finished: (Future<T> | null)[] = [];
  const waiters: Future<void>[] = [];
  let timer: TimerHandle | null = null;

  const push = (item: Future<T> | null) => {
    finished.push(item);
    const waiter = waiters.shift();
    if (waiter !== undefined && !waiter.done()) waiter.setResult();
  };
  const onCompletion = (f: Future<T>) => {
    if (!todo.delete(f)) return;
    push(f);
    if (todo.size === 0) timer?.cancel();
  };
  for (const f of todo) f.addDoneCallback(onCompletion);
  if (timeout !== null && todo.size > 0) {
    timer = loop.callLater(timeout, () => {
      for (const f of todo) {
        f.removeDoneCallback(onCompletion);
        push(null);
      }
      todo.clear();
    });
  }

  let taken = 0;
  // Resolves to a box, not to the Future: a thenable returned from an
  // async function would be unwrapped into its result.
  const next = async (): Promise<{ future: Future<T> }> => {
    while (finished.length === 0) {
      const waiter = loop.createFuture<void>();
      waiters.push(waiter);
      try {
        await waiter;
      } finally {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
      }
    }
    const future = finished.shift()!;
    if (future === null) throw new TimeoutError();
    return { future };
  };

  return {
    *[Symbol.iterator](): Iterator<Promise<T>> {
      while (taken < total) {
        taken++;
        yield next().then(({ future }) => future.result());
      }
    },
    // Written by hand: an async generator would await the yielded Future.
    [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
      return {
        async next(): Promise<IteratorResult<Future<T>>> {
          if (taken >= total) return { value: undefined, done: true };
          taken++;
          const { future } = await next();
          return { value: future, done: false };
        },
      };
    },
  };
}
