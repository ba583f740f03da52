/**
 * Executors on Workers: `WorkerPoolExecutor` (also `ThreadPoolExecutor`),
 * `ProcessPoolExecutor`, `runInExecutor` and `toThread`.
 *
 * Deno has Workers, not shared-memory threads, so what an executor runs is
 * sent to another isolate: a **self-contained function**, whose source
 * text is sent and compiled there (it sees the Worker's globals and
 * nothing else: a function that refers to a variable, an import or a
 * helper of the module it was written in fails with the Worker's
 * `ReferenceError`), or a **module function** `{ module, name }`, which the
 * worker imports and calls. Arguments and results travel by structured
 * clone; `transfer(buffer)` moves an `ArrayBuffer` instead of copying it.
 * A function may return a promise: the worker awaits it.
 *
 * @module
 */
import {
  checkMaxWorkers,
  functionEntry,
  inheritedPermissionFlags,
  Pool,
  pools,
  ProcessSlot,
  type Settle,
  ThreadSlot,
} from "./_worker_pool.ts";
import { RuntimeError } from "./exceptions.ts";
import type { EventLoop, Executor } from "./event_loop.ts";
import { Future } from "./futures.ts";
import { getRunningLoop } from "./_running.ts";

export { BrokenExecutor } from "./_worker_pool.ts";
export { transfer } from "./_worker_runtime.ts";

/**
 * A function that lives in a module: the worker imports `module` and calls
 * its export `name`, as Python's process pools find a function by its
 * module and name. `module` is a URL (`new URL("./jobs.ts", import.meta.url)`),
 * an absolute URL string (`file:`, `https:`, `jsr:`, `npm:`), a path (`./`,
 * `../` or `/`, resolved against the current directory) or a bare
 * specifier of the import map. A local module needs read permission in the
 * worker.
 */
export interface ModuleFunction {
  /** The module to import. */
  module: URL | string;
  /** The name of the exported function. */
  name: string;
}

/**
 * A self-contained function: its source text is sent to the worker and
 * compiled there, in the global scope. It may use its parameters, the
 * worker's globals (`Deno`, `fetch`, `crypto`, dynamic `import()`) and
 * `transfer`; a reference to anything else of the module it was written in
 * (a variable, an import, a helper function) fails with `ReferenceError`.
 */
// deno-lint-ignore no-explicit-any
export type SelfContainedFunction = (...args: any[]) => unknown;

/** A function an executor can run: self-contained, or a module's export. */
export type ExecutorFunction = SelfContainedFunction | ModuleFunction;

/** Options of `shutdown`. */
export interface ShutdownOptions {
  /** Cancels the calls that have not started (their promises reject with `CancelledError`). */
  cancelFutures?: boolean;
}

/** Options of `WorkerPoolExecutor` (Python's `ThreadPoolExecutor` arguments). */
export interface WorkerPoolExecutorOptions {
  /** At most this many Workers; `navigator.hardwareConcurrency` by default. */
  maxWorkers?: number;
  /**
   * Runs first in each Worker, with `initargs`. If it throws, the pool is
   * broken: every call rejects with `BrokenExecutor`.
   */
  initializer?: ExecutorFunction;
  /** The arguments of `initializer`. */
  initargs?: unknown[];
}

/** Options of `ProcessPoolExecutor`. */
export interface ProcessPoolExecutorOptions extends WorkerPoolExecutorOptions {
  /** A process that ran this many calls is replaced by a new one (Python 3.11+). */
  maxTasksPerChild?: number;
  /**
   * The flags given to `deno run` for each process, in place of the
   * permissions this process holds in full (`--allow-read`, `--allow-net`,
   * ... for each permission granted without restriction; a partial grant
   * such as `--allow-read=/data` cannot be read back, so give it here).
   */
  denoFlags?: string[];
}

function makeSettle<T>(resolve: (value: T) => void, reject: (error: unknown) => void): Settle {
  return (ok, value) => ok ? resolve(value as T) : reject(value);
}

function submitTo<T>(pool: Pool, func: ExecutorFunction, args: unknown[]): Promise<T> {
  let settle!: Settle;
  const promise = new Promise<T>((resolve, reject) => {
    settle = makeSettle(resolve, reject);
  });
  // As a concurrent.futures future, an outcome nobody asks for is no error
  // (a call cancelled by shutdown({ cancelFutures }) included).
  promise.catch(() => {});
  pool.submit(func, args, settle);
  return promise;
}

function mapOn<T>(
  pool: Pool,
  func: ExecutorFunction,
  iterables: Iterable<unknown>[],
): AsyncGenerator<T, void, undefined> {
  functionEntry(func);
  const jobs: { cancel(): boolean }[] = [];
  const results: Promise<T>[] = [];
  if (iterables.length > 0) {
    const iterators = iterables.map((it) => it[Symbol.iterator]());
    for (;;) {
      const args: unknown[] = [];
      let done = false;
      for (const iterator of iterators) {
        const step = iterator.next();
        if (step.done) {
          done = true;
          break;
        }
        args.push(step.value);
      }
      if (done) break;
      let settle!: Settle;
      const promise = new Promise<T>((resolve, reject) => {
        settle = makeSettle(resolve, reject);
      });
      promise.catch(() => {});
      results.push(promise);
      jobs.push(pool.submit(func, args, settle));
    }
  }
  return (async function* () {
    try {
      for (const result of results) yield await result;
    } finally {
      // Leaving early cancels the calls that have not started, as Python does.
      for (const job of jobs) job.cancel();
    }
  })();
}

/**
 * A pool of Workers that runs functions off the event loop's thread: the
 * default executor of `runInExecutor(null, ...)` and `toThread`, and Python's
 * `ThreadPoolExecutor` (exported under that name too). Workers start when
 * calls need them, up to `maxWorkers` (by default
 * `navigator.hardwareConcurrency`), and are reused; an idle Worker does
 * not keep the process alive (it is unref'd), so a program may end with
 * an idle pool, and `shutdown()` (or `await using`) stops them.
 *
 * A call is a self-contained function, whose source is compiled in the
 * Worker and sees none of the variables around it (a reference to one
 * fails with `ReferenceError`), or `{ module, name }`. Arguments and
 * result are copied by structured clone, or moved with `transfer()`; an
 * error keeps its `name`, `message` and the Worker's `stack`.
 *
 * The Workers are `node:worker_threads` Workers (Deno's own `Worker` has no
 * `unref()`) with the permissions of this process; Deno cannot restrict
 * them (its `deno.permissions` Worker option needs
 * `--unstable-worker-options`, and exits the process without it); for
 * other permissions use `ProcessPoolExecutor({ denoFlags })`.
 *
 * @example
 * ```ts
 * import { WorkerPoolExecutor } from "@asyncio/asyncio";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * const square = (n: number) => n * n;
 * console.log(await pool.submit(square, 12)); // 144
 * const squares = [];
 * for await (const s of pool.map(square, [1, 2, 3])) squares.push(s);
 * console.log(squares); // [1, 4, 9]
 * ```
 */
export class WorkerPoolExecutor implements Executor {
  #pool: Pool;

  /**
   * Creates the pool; no Worker starts before the first call.
   * `new WorkerPoolExecutor(4)` is `new WorkerPoolExecutor({ maxWorkers: 4 })`,
   * as Python's `ThreadPoolExecutor(4)`. Throws `RangeError` for a
   * `maxWorkers` that is not an integer from 1.
   */
  constructor(options: number | WorkerPoolExecutorOptions = {}) {
    const opts = typeof options === "number" ? { maxWorkers: options } : options;
    this.#pool = new Pool({
      maxWorkers: checkMaxWorkers(opts.maxWorkers),
      kind: "thread",
      spawn: (events) => new ThreadSlot(events),
      initializer: opts.initializer === undefined
        ? undefined
        : { entry: functionEntry(opts.initializer), args: [...(opts.initargs ?? [])] },
    });
    pools.set(this, this.#pool);
  }

  /**
   * Runs `func(...args)` on a Worker and returns a promise of its result
   * (Python's `submit`, whose `concurrent.futures.Future` is a promise
   * here). Throws `RuntimeError` after `shutdown()`, `BrokenExecutor` when
   * the initializer failed, `TypeError` for a native or bound function. As
   * with a `concurrent.futures` future, a rejection nobody awaits is not
   * reported.
   */
  submit<F extends SelfContainedFunction>(
    func: F,
    ...args: Parameters<F>
  ): Promise<Awaited<ReturnType<F>>>;
  /** Runs the module function `func` with `args`: `{ module, name }`. */
  submit<T = unknown>(func: ModuleFunction, ...args: unknown[]): Promise<T>;
  /** Runs `func(...args)` on a Worker. */
  submit(func: ExecutorFunction, ...args: unknown[]): Promise<unknown> {
    return submitTo(this.#pool, func, args);
  }

  /**
   * Python's `Executor.map`: submits `func(a, b, ...)` for the items of the
   * iterables taken together (up to the shortest) at once, and yields the
   * results in order; an error is thrown where its result would be.
   * Leaving the loop early cancels the calls that have not started.
   */
  map<T = unknown>(
    func: ExecutorFunction,
    ...iterables: Iterable<unknown>[]
  ): AsyncGenerator<T, void, undefined> {
    return mapOn<T>(this.#pool, func, iterables);
  }

  /**
   * Stops the pool: no more calls (`submit` throws `RuntimeError`); the
   * calls queued and running go on unless `cancelFutures`, and each Worker
   * is terminated once it has nothing left to run. With `wait` (the
   * default) the promise settles when all that is done; `shutdown(false)`
   * returns at once. Calling it again is harmless.
   */
  shutdown(wait?: true, options?: ShutdownOptions): Promise<void>;
  /** `shutdown(false)`: the same, without waiting. */
  shutdown(wait: false, options?: ShutdownOptions): void;
  /** Stops the pool, waiting when `wait`. */
  shutdown(wait?: boolean, options?: ShutdownOptions): Promise<void> | void;
  shutdown(wait = true, options: ShutdownOptions = {}): Promise<void> | void {
    this.#pool.shutdown(options.cancelFutures === true);
    if (wait) return this.#pool.finished();
  }

  /**
   * Terminates every Worker now (Python 3.14's `terminate_workers()`): the
   * pool is shut down, queued calls are cancelled and running ones reject
   * with `BrokenExecutor`. The promise settles when the Workers are gone.
   */
  terminateWorkers(): Promise<void> {
    this.#pool.terminate();
    return this.#pool.finished();
  }

  /** `await using pool = new WorkerPoolExecutor()`: `shutdown()` at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown(true);
  }

  /** @internal How many Workers are alive (tests). */
  get _liveWorkers(): number {
    return this.#pool.liveWorkers;
  }
}

/**
 * Python's name for `WorkerPoolExecutor`: the same class, so that
 * `concurrent.futures.ThreadPoolExecutor()` ports as `new ThreadPoolExecutor()`.
 * There are no shared-memory threads in Deno: it runs functions on Workers.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, ThreadPoolExecutor } from "@asyncio/asyncio";
 * await run(async () => {
 *   await using pool = new ThreadPoolExecutor();
 *   const result = await getRunningLoop().runInExecutor(pool, (a: number, b: number) => a + b, 2, 3);
 *   console.log(result); // 5
 * });
 * ```
 */
export const ThreadPoolExecutor: typeof WorkerPoolExecutor = WorkerPoolExecutor;
/** The type of `ThreadPoolExecutor` objects: `WorkerPoolExecutor`. */
export type ThreadPoolExecutor = WorkerPoolExecutor;

/**
 * Python's `ProcessPoolExecutor`: runs the same kinds of function as
 * `WorkerPoolExecutor`, each worker a separate `deno run` process started
 * with `Deno.execPath()` (so this process needs `--allow-run`), which
 * gets the permissions this process holds in full, or `denoFlags`.
 * Arguments and results are copied with `node:v8`'s serializer (the
 * structured-clone types; `transfer()` is accepted and copies). What a
 * function prints on stdout or stderr appears on this process's. A process
 * that dies while it runs a call rejects that call with `BrokenExecutor`
 * and is replaced. Idle processes do not keep this one alive.
 *
 * @example
 * ```ts
 * import { getRunningLoop, ProcessPoolExecutor, run } from "@asyncio/asyncio";
 * function cpuBound(n: number) {
 *   let sum = 0;
 *   for (let i = 0; i < n; i++) sum += i * i;
 *   return sum;
 * }
 * await run(async () => {
 *   await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
 *   console.log(await getRunningLoop().runInExecutor(pool, cpuBound, 1000)); // 332833500
 * });
 * ```
 */
export class ProcessPoolExecutor implements Executor {
  #pool: Pool;

  /**
   * Creates the pool; no process starts before the first call.
   * `new ProcessPoolExecutor(4)` is `new ProcessPoolExecutor({ maxWorkers: 4 })`.
   */
  constructor(options: number | ProcessPoolExecutorOptions = {}) {
    const opts: ProcessPoolExecutorOptions = typeof options === "number"
      ? { maxWorkers: options }
      : options;
    const maxTasks = opts.maxTasksPerChild;
    if (maxTasks !== undefined && (!Number.isInteger(maxTasks) || maxTasks < 1)) {
      throw new RangeError("maxTasksPerChild must be an integer greater than 0");
    }
    let flags: string[] | null = opts.denoFlags === undefined ? null : [...opts.denoFlags];
    if (flags !== null && !flags.every((f) => typeof f === "string")) {
      throw new TypeError("denoFlags must be a list of strings");
    }
    this.#pool = new Pool({
      maxWorkers: checkMaxWorkers(opts.maxWorkers),
      kind: "process",
      spawn: (events) => new ProcessSlot(events, flags ??= inheritedPermissionFlags()),
      initializer: opts.initializer === undefined
        ? undefined
        : { entry: functionEntry(opts.initializer), args: [...(opts.initargs ?? [])] },
      maxTasksPerWorker: maxTasks,
    });
    pools.set(this, this.#pool);
  }

  /** Runs `func(...args)` in a worker process; see `WorkerPoolExecutor.submit`. */
  submit<F extends SelfContainedFunction>(
    func: F,
    ...args: Parameters<F>
  ): Promise<Awaited<ReturnType<F>>>;
  /** Runs the module function `func` with `args`. */
  submit<T = unknown>(func: ModuleFunction, ...args: unknown[]): Promise<T>;
  /** Runs `func(...args)` in a worker process. */
  submit(func: ExecutorFunction, ...args: unknown[]): Promise<unknown> {
    return submitTo(this.#pool, func, args);
  }

  /** Python's `Executor.map`; see `WorkerPoolExecutor.map`. */
  map<T = unknown>(
    func: ExecutorFunction,
    ...iterables: Iterable<unknown>[]
  ): AsyncGenerator<T, void, undefined> {
    return mapOn<T>(this.#pool, func, iterables);
  }

  /**
   * Stops the pool; see `WorkerPoolExecutor.shutdown`. A process stops when
   * its stdin is closed, after its call.
   */
  shutdown(wait?: true, options?: ShutdownOptions): Promise<void>;
  /** `shutdown(false)`: the same, without waiting. */
  shutdown(wait: false, options?: ShutdownOptions): void;
  /** Stops the pool, waiting when `wait`. */
  shutdown(wait?: boolean, options?: ShutdownOptions): Promise<void> | void;
  shutdown(wait = true, options: ShutdownOptions = {}): Promise<void> | void {
    this.#pool.shutdown(options.cancelFutures === true);
    if (wait) return this.#pool.finished();
  }

  /** Sends `SIGTERM` to every process now (Python 3.14); see `WorkerPoolExecutor.terminateWorkers`. */
  terminateWorkers(): Promise<void> {
    this.#pool.terminate("SIGTERM");
    return this.#pool.finished();
  }

  /** Sends `SIGKILL` to every process now (Python 3.14's `kill_workers()`). */
  killWorkers(): Promise<void> {
    this.#pool.terminate("SIGKILL");
    return this.#pool.finished();
  }

  /** `await using pool = new ProcessPoolExecutor()`: `shutdown()` at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown(true);
  }

  /** @internal How many processes are alive (tests). */
  get _liveWorkers(): number {
    return this.#pool.liveWorkers;
  }
}

function defaultExecutor(loop: EventLoop): Executor {
  const current = loop._getDefaultExecutor();
  if (current !== null) return current;
  // As Python: no new default executor once it was shut down.
  if (loop._executorShutdownCalled) throw new RuntimeError("Executor shutdown has been called");
  const executor = new WorkerPoolExecutor();
  loop.setDefaultExecutor(executor);
  return executor;
}

/**
 * `loop.runInExecutor(executor, func, ...args)`: runs `func(...args)` on
 * `executor` (the loop's default `WorkerPoolExecutor` when `null`, made on
 * first use) and returns a Future of the loop. Cancelling the Future (or
 * the task awaiting it) rejects the awaiter with `CancelledError` at once;
 * a call not started yet is dropped, a running one finishes in its Worker
 * and its result is discarded, as a thread's is in asyncio. Another
 * executor object works if it has `submit(func, ...args)` returning a
 * promise (and `cancel()` on it, to be cancelled).
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const n = await loop.runInExecutor<number>(null, (a: number) => a * 2, 21);
 *   console.log(n); // 42
 * });
 * ```
 */
export function runInExecutor<T>(
  loop: EventLoop,
  executor: unknown,
  func: ExecutorFunction,
  args: unknown[],
): Future<T> {
  if (loop.isClosed()) throw new RuntimeError("Event loop is closed");
  const target = executor === null || executor === undefined ? defaultExecutor(loop) : executor;
  const fut = new Future<T>({ loop });
  const settle: Settle = (ok, value) => {
    if (fut.done() || loop.isClosed()) return;
    if (ok) fut.setResult(value as T);
    else fut.setException(value);
  };
  const pool = pools.get(target as object);
  if (pool !== undefined) {
    const job = pool.submit(func, args, settle);
    fut.addDoneCallback((done) => {
      if (done.cancelled()) job.cancel();
    });
    return fut;
  }
  const submit = (target as { submit?: unknown }).submit;
  if (typeof submit !== "function") {
    throw new TypeError("executor must have a submit(func, ...args) method");
  }
  const inner = submit.call(target, func, ...args) as PromiseLike<T> & { cancel?: () => unknown };
  Promise.resolve(inner).then((value) => settle(true, value), (error) => settle(false, error));
  fut.addDoneCallback((done) => {
    if (done.cancelled() && typeof inner?.cancel === "function") inner.cancel();
  });
  return fut;
}

/**
 * Python's `asyncio.to_thread(func, *args)`: `runInExecutor(null, func,
 * ...args)` on the running loop, awaited in a task as a cancellation
 * point. There are no shared-memory threads in Deno: `func` runs on a
 * Worker of the loop's default `WorkerPoolExecutor`, so it must be
 * self-contained (a reference to an outer variable fails with
 * `ReferenceError`) or `{ module, name }`, and its arguments and result
 * are copied. Throws `RuntimeError` when no loop is running.
 *
 * @example
 * ```ts
 * import { run, toThread } from "@asyncio/asyncio";
 * function blockingSum(n: number) {
 *   let sum = 0;
 *   for (let i = 1; i <= n; i++) sum += i;
 *   return sum;
 * }
 * await run(async () => {
 *   console.log(await toThread(blockingSum, 100)); // 5050
 * });
 * ```
 */
export function toThread<F extends SelfContainedFunction>(
  func: F,
  ...args: Parameters<F>
): Future<Awaited<ReturnType<F>>>;
/** `toThread({ module, name }, ...args)`: a module function on a Worker. */
export function toThread<T = unknown>(func: ModuleFunction, ...args: unknown[]): Future<T>;
export function toThread(func: ExecutorFunction, ...args: unknown[]): Future<unknown> {
  return runInExecutor(getRunningLoop(), null, func, args);
}
