/**
 * `Task`: a coroutine function run on the loop, with cancellation at every
 * `await` of a library Future, as asyncio's `Task`.
 *
 * @module
 */
import { CancelledError, KeyboardInterrupt, RuntimeError } from "./exceptions.ts";
import { Future, type Settle } from "./futures.ts";
import { taskContext } from "./_context.ts";
import { currentEventLoop, getRunningLoop } from "./_running.ts";
import type { EventLoop } from "./event_loop.ts";

/**
 * A coroutine: a zero-argument function that returns a promise, such as
 * `() => main()`. Everything that takes a coroutine in asyncio takes one.
 */
export type Coroutine<T> = () => PromiseLike<T> | T;

/** Anything that can be awaited: a `Future`, a `Task` or a `PromiseLike`. */
export type Awaitable<T> = Future<T> | PromiseLike<T>;

/** Options of `createTask` and the `Task` constructor. */
export interface TaskOptions {
  /** The task's name (`Task-N` by default). */
  name?: string;
}

/** Options of the `Task` constructor. */
export interface TaskConstructorOptions extends TaskOptions {
  /** The loop to run on; the current event loop by default. */
  loop?: EventLoop;
}

let taskCounter = 0;

interface PendingTask {
  loop: EventLoop;
  name: string;
  coro: string;
}

// Python reports a task garbage-collected while pending. The loop keeps
// every pending task alive until it is closed, so the tasks are registered
// here only then (see `EventLoop.close`), which costs nothing per task.
const destroyedPending = new FinalizationRegistry<PendingTask>((held) => {
  held.loop.callExceptionHandler({
    message:
      `Task was destroyed but it is pending!\ntask: <Task pending name='${held.name}' coro=${held.coro}>`,
  });
});

function coroutineName(coro: unknown): string {
  return (typeof coro === "function" && coro.name) || "<anonymous>";
}

/** Throws the TypeError a misuse deserves: a promise given for a coroutine. */
export function checkCoroutine(coro: unknown, where: string): void {
  if (typeof coro === "function") return;
  if (coro !== null && typeof (coro as PromiseLike<unknown>)?.then === "function") {
    throw new TypeError(
      `${where}() takes a coroutine function, not a promise: write ${where}(() => main()) rather than ${where}(main())`,
    );
  }
  throw new TypeError(`${where}() takes a coroutine function, got ${typeof coro}`);
}

/**
 * A Task runs a coroutine function on the loop, in its own context, so that
 * `currentTask()` finds it and cancelling it makes its pending `await` throw
 * `CancelledError`. A Task is a `Future` of the coroutine's result.
 *
 * Differences from asyncio: the loop keeps every pending task alive, so a
 * fire-and-forget task is never garbage-collected mid-flight; and `signal`
 * aborts when the task is cancelled, to stop foreign promises such as
 * `fetch`.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const task = createTask(async () => {
 *     await sleep(0.01);
 *     return 42;
 *   }, { name: "answer" });
 *   console.log(task.getName(), await task); // "answer" 42
 * });
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  #coro: Coroutine<T>;
  // The default name `Task-N` is made when first asked for.
  #name: string | null;
  #number: number;
  /** @internal */
  _mustCancel = false;
  /** @internal */
  _numCancelsRequested = 0;
  /** @internal The future the task awaits (Python's `_fut_waiter`). */
  _waiter: Future<unknown> | null = null;
  /** @internal Counts the task's wake-ups, to tell current waiters from stale ones. */
  _epoch = 0;
  // More than one only when a task awaits several futures at once, as with
  // `Promise.all([a, b])`; cancelling the task cancels all of them.
  /** @internal */
  _moreWaiters: Set<Future<unknown>> | null = null;
  /** @internal In debug mode, the stack where the task last suspended. */
  _suspendedAt: string | null = null;
  #abort: AbortController | null = null;

  /** Creates the task and schedules its first step; prefer `createTask`. */
  constructor(coro: Coroutine<T>, options: TaskConstructorOptions = {}) {
    checkCoroutine(coro, "Task");
    super({ loop: options.loop });
    this.#coro = coro;
    this.#number = ++taskCounter;
    this.#name = options.name ?? null;
    this._loop.callSoon(startTask, this);
    this._loop._tasks.add(this);
  }

  /** The task's name. */
  getName(): string {
    return this.#name ??= `Task-${this.#number}`;
  }

  /** Renames the task. */
  setName(value: unknown): void {
    this.#name = String(value);
  }

  /** The coroutine function the task runs. */
  getCoro(): Coroutine<T> {
    return this.#coro;
  }

  /**
   * An `AbortSignal` that aborts, with a `CancelledError` as its reason,
   * when the task is cancelled: pass it to `fetch`, `Deno.Command` or any
   * API that takes a signal so that cancelling the task stops them.
   */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      this.#abort = new AbortController();
      if (this._numCancelsRequested > 0 || this.cancelled()) {
        this.#abort.abort(this._makeCancelledError());
      }
    }
    return this.#abort.signal;
  }

  /**
   * Requests cancellation: the task's pending `await` throws
   * `CancelledError(msg)`. Returns `false` when the task is already done.
   * The coroutine may catch the error; see `uncancel()`.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    this._numCancelsRequested++;
    if (this.#abort !== null && !this.#abort.signal.aborted) {
      this.#abort.abort(new CancelledError(msg ?? ""));
    }
    let cancelledWaiter = false;
    if (this._waiter !== null && this._waiter.cancel(msg)) cancelledWaiter = true;
    if (this._moreWaiters !== null) {
      for (const waiter of this._moreWaiters) {
        if (waiter.cancel(msg)) cancelledWaiter = true;
      }
    }
    if (cancelledWaiter) return true;
    this._mustCancel = true;
    this._cancelMessage = msg;
    return true;
  }

  /** How many cancellation requests are pending (Python 3.11+). */
  cancelling(): number {
    return this._numCancelsRequested;
  }

  /** Withdraws one cancellation request; returns how many remain. */
  uncancel(): number {
    if (this._numCancelsRequested > 0) {
      this._numCancelsRequested--;
      if (this._numCancelsRequested === 0) this._mustCancel = false;
    }
    return this._numCancelsRequested;
  }

  /** Tasks take their result from the coroutine: throws `RuntimeError`. */
  override setResult(_result: T): never {
    throw new RuntimeError("Task does not support setResult operation");
  }

  /** Tasks take their exception from the coroutine: throws `RuntimeError`. */
  override setException(_exception: unknown): never {
    throw new RuntimeError("Task does not support setException operation");
  }

  /** A description such as `<Task pending name='Task-1' coro=main>`. */
  override toString(): string {
    const state = this.done() ? super.toString().replace(/^<\w+ |>$/g, "") : "pending";
    return `<Task ${state} name='${this.getName()}' coro=${coroutineName(this.#coro)}>`;
  }

  /** @internal */
  override _kind(): string {
    return "Task";
  }

  /** @internal Records that the task awaits `fut`, and how to resume it. */
  _awaitFuture(fut: Future<unknown>, onValue: Settle, onError: Settle): void {
    if (fut._loop !== this._loop) {
      const error = new RuntimeError(`Task ${this} got Future ${fut} attached to a different loop`);
      this._loop._callSoon1(onError, error);
      return;
    }
    const epoch = this._epoch;
    // Debug mode records where the task suspends (V8 includes the async
    // frames), for the call graph; it costs a stack capture per await.
    if (this._loop._debug) this._suspendedAt = new Error().stack ?? null;
    if (this._waiter === null) {
      this._waiter = fut;
    } else {
      (this._moreWaiters ??= new Set()).add(fut);
    }
    fut.addDoneCallback((done) => {
      if (epoch !== this._epoch) {
        // The task was woken since this registration (the other side of a
        // `Promise.race`, say): it does not wait on `done` any more.
        done._settle(onValue, onError);
        return;
      }
      this._epoch++;
      this._waiter = null;
      this._moreWaiters = null;
      if (this._mustCancel) {
        this._mustCancel = false;
        if (!done.cancelled()) done._markRetrieved();
        onError(this._makeCancelledError());
      } else {
        done._settle(onValue, onError);
      }
    });
    // A cancellation requested while the task ran (or awaited something
    // foreign) cancels the first future it awaits, as asyncio's step does;
    // a future already done delivers it when the task wakes.
    if (this._mustCancel && fut.cancel(this._cancelMessage)) this._mustCancel = false;
  }

  /** @internal The first step (see `startTask`): the coroutine, or null when cancelled. */
  _firstStep(): Coroutine<T> | null {
    if (!this._mustCancel) return this.#coro;
    // Cancelled before it started: the coroutine never runs.
    this.#finishCancelled(this._cancelMessage);
    return null;
  }

  /** @internal The coroutine returned or threw `outcome`. */
  _started(ok: boolean, outcome: unknown): void {
    if (!ok) {
      this.#onRejected(outcome);
    } else if (outcome instanceof Future) {
      // A coroutine that returns a Future, as `() => sleep(1)` does: the
      // task awaits it, so cancelling the task cancels it.
      this._awaitFuture(
        outcome,
        (value) => this.#onFulfilled(value as T),
        (exception) => this.#onRejected(exception),
      );
    } else if (outcome !== null && typeof (outcome as PromiseLike<T>)?.then === "function") {
      (outcome as PromiseLike<T>).then(
        (value) => this.#onFulfilled(value),
        (exception) => this.#onRejected(exception),
      );
    } else {
      this.#onFulfilled(outcome as T);
    }
  }

  /** @internal The loop was closed while the task was pending. */
  _abandoned(): void {
    destroyedPending.register(this, {
      loop: this._loop,
      name: this.getName(),
      coro: coroutineName(this.#coro),
    }, this);
  }

  #onFulfilled(value: T): void {
    if (this._mustCancel) {
      this.#finishCancelled(this._cancelMessage);
    } else {
      this.#release();
      Future.prototype.setResult.call(this, value);
    }
  }

  #onRejected(exception: unknown): void {
    if (exception instanceof CancelledError) {
      this.#finishCancelled(exception.message || undefined);
      return;
    }
    this.#release();
    Future.prototype.setException.call(this, exception);
    if (exception instanceof KeyboardInterrupt) this._loop._fatalError(exception);
  }

  #finishCancelled(msg: string | undefined): void {
    this._mustCancel = false;
    this.#release();
    Future.prototype.cancel.call(this, msg);
  }

  #release(): void {
    this._waiter = null;
    this._moreWaiters = null;
    this._loop._tasks.delete(this);
  }
}

// The first step runs here rather than in a method of the task: an error
// thrown synchronously by the coroutine keeps the frames of its stack, and
// a frame whose receiver is the task would keep the task alive through the
// error, so that a failed task that nobody awaited was never reported.
function startTask(task: Task<unknown>): void {
  const coro = task._firstStep();
  if (coro === null) return;
  let ok = true;
  let outcome: unknown;
  try {
    outcome = taskContext.run(task, coro);
  } catch (error) {
    ok = false;
    outcome = error;
  }
  task._started(ok, outcome);
}

/**
 * Wraps a coroutine function in a `Task` on the running loop and schedules
 * it; returns the task.
 *
 * @example
 * ```ts
 * import { createTask, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const task = createTask(async () => "hello");
 *   console.log(await task); // "hello"
 * });
 * ```
 */
export function createTask<T>(coro: Coroutine<T>, options: TaskOptions = {}): Task<T> {
  return getRunningLoop().createTask(coro, options);
}

/**
 * Returns the task whose coroutine is running, or `null` outside a task
 * (in a plain callback). With `loop`, only a task of that loop.
 *
 * @example
 * ```ts
 * import { currentTask, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   console.log(currentTask()?.getName().startsWith("Task-")); // true
 * });
 * ```
 */
export function currentTask(loop?: EventLoop): Task<unknown> | null {
  const task = taskContext.getStore();
  if (task === undefined || task.done()) return null;
  if (loop !== undefined && task.getLoop() !== loop) return null;
  return task;
}

/**
 * Returns the set of the loop's tasks that are not done (the running
 * loop's by default).
 *
 * @example
 * ```ts
 * import { allTasks, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   console.log(allTasks().size); // 1: the main task
 * });
 * ```
 */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  const target = loop ?? getRunningLoop();
  const tasks = new Set<Task<unknown>>();
  for (const task of target._tasks) if (!task.done()) tasks.add(task);
  return tasks;
}

/** Options of `ensureFuture`. */
export interface EnsureFutureOptions {
  /** The loop for a new task or wrapper; the current event loop by default. */
  loop?: EventLoop;
}

/**
 * Returns `aw` as a Future: a `Future` or `Task` as it is, a coroutine
 * function as a new `Task`, any other `PromiseLike` as a Future settled by
 * it. Cancelling that wrapper stops the wait, not the promise.
 *
 * @example
 * ```ts
 * import { ensureFuture, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const fut = ensureFuture(Promise.resolve(7));
 *   console.log(await fut); // 7
 * });
 * ```
 */
export function ensureFuture<T>(
  aw: Awaitable<T> | Coroutine<T>,
  options: EnsureFutureOptions = {},
): Future<T> {
  if (aw instanceof Future) {
    if (options.loop !== undefined && options.loop !== aw._loop) {
      throw new RangeError("The future belongs to a different loop than the one specified");
    }
    return aw;
  }
  const loop = options.loop ?? currentEventLoop();
  if (typeof aw === "function") return loop.createTask(aw as Coroutine<T>);
  if (aw !== null && typeof (aw as PromiseLike<T>)?.then === "function") {
    const fut = loop.createFuture<T>();
    (aw as PromiseLike<T>).then(
      (value) => {
        if (!fut.done()) fut.setResult(value);
      },
      (error) => {
        if (!fut.done()) fut.setException(error);
      },
    );
    return fut;
  }
  throw new TypeError("A Future, a coroutine function or a PromiseLike is required");
}
