/**
 * `Future`: a result that will be set later, as asyncio's `Future`. It is a
 * thenable, so `await fut` works; its callbacks always run through the loop.
 *
 * @module
 */
import { CancelledError, InvalidStateError, RuntimeError } from "./exceptions.ts";
import { taskContext } from "./_context.ts";
import { currentEventLoop } from "./_running.ts";
import type { EventLoop } from "./event_loop.ts";

const PENDING = 0;
const CANCELLED = 1;
const FINISHED = 2;

/** A done callback: called, through the loop, with the future. */
// deno-lint-ignore no-explicit-any
export type DoneCallback<F = Future<any>> = (future: F) => unknown;

/** @internal How an awaiter learns the outcome: a value, or a reason. */
export type Settle = (value: unknown) => unknown;

interface Unretrieved {
  loop: EventLoop;
  message: string;
  exception: unknown;
}

// Python logs an exception nobody retrieved when the future is destroyed;
// a FinalizationRegistry is the same moment here.
const unretrieved = new FinalizationRegistry<Unretrieved>((held) => {
  held.loop.callExceptionHandler({
    message: held.message,
    exception: held.exception,
  });
});

/** Options of the `Future` constructor. */
export interface FutureOptions {
  /** The loop the future belongs to; the current event loop by default. */
  loop?: EventLoop;
}

/**
 * Whether `value` is a `Future` (or a `Task`) of this library.
 *
 * @example
 * ```ts
 * import { isFuture, run, sleep } from "@asyncio/asyncio";
 * await run(() => {
 *   console.log(isFuture(sleep(0)), isFuture(Promise.resolve())); // true false
 * });
 * ```
 */
// deno-lint-ignore no-explicit-any
export function isFuture(value: unknown): value is Future<any> {
  return value instanceof Future;
}

// `await fut` and `Promise.all([fut])` call `then` with V8's own resolving
// functions; a `then(cb)` with a callback of the program's is not an await,
// so it must not make the task wait on the future (and cancelling the task
// must not cancel it). Measured on Deno 2.9.6: ~30-60 ns a call.
function isAwaitOrCombinator(onfulfilled: unknown): boolean {
  return typeof onfulfilled === "function" && onfulfilled.name === "" &&
    Function.prototype.toString.call(onfulfilled).endsWith("{ [native code] }");
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "string") return JSON.stringify(value);
  if (value !== null && typeof value === "object") {
    return value.constructor?.name ?? "Object";
  }
  return String(value);
}

/**
 * A Future represents an eventual result. `setResult`, `setException` and
 * `cancel` complete it once; callbacks added with `addDoneCallback` and
 * every `await` of it are then run through the loop's `callSoon`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const fut = loop.createFuture<string>();
 *   loop.callLater(0.01, () => fut.setResult("done"));
 *   console.log(await fut); // "done"
 * });
 * ```
 */
export class Future<T = unknown> implements Promise<T> {
  /** @internal */
  _state: number = PENDING;
  /** @internal */
  _result: T | undefined = undefined;
  /** @internal */
  _exception: unknown = undefined;
  /** @internal */
  _hasException = false;
  /** @internal */
  _cancelMessage: string | undefined = undefined;
  /** @internal */
  _loop: EventLoop;
  /** @internal */
  // deno-lint-ignore no-explicit-any
  _callbacks: DoneCallback<any>[] | null = null;
  #trackedUnretrieved = false;
  /**
   * @internal Futures waiting on this one other than through a task's
   * await: a `gather`'s outer future, a `shield`, a TaskGroup's parent task
   * (Python 3.14's `_asyncio_awaited_by`, for the call graph).
   */
  _awaitedBy: Set<Future<unknown>> | null = null;

  /** Creates a pending future on `loop` (the current event loop by default). */
  constructor(options: FutureOptions = {}) {
    this._loop = options.loop ?? currentEventLoop();
  }

  /** The loop the future is bound to. */
  getLoop(): EventLoop {
    return this._loop;
  }

  /** Whether the future is done: it has a result, an exception, or was cancelled. */
  done(): boolean {
    return this._state !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this._state === CANCELLED;
  }

  /**
   * Returns the result, or throws the exception set, `CancelledError` when
   * cancelled, or `InvalidStateError` while pending.
   */
  result(): T {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Result is not ready.");
    if (this._hasException) {
      this._markRetrieved();
      throw this._exception;
    }
    return this._result as T;
  }

  /**
   * Returns the exception set (`null` when the future has a result), throws
   * `CancelledError` when cancelled and `InvalidStateError` while pending.
   */
  exception(): unknown {
    if (this._state === CANCELLED) throw this._makeCancelledError();
    if (this._state === PENDING) throw new InvalidStateError("Exception is not set.");
    this._markRetrieved();
    return this._hasException ? this._exception : null;
  }

  /** Marks the future done with `result`; `InvalidStateError` when already done. */
  setResult(result: T): void {
    if (this._state !== PENDING) throw new InvalidStateError(`invalid state: ${this}`);
    this._result = result;
    this._state = FINISHED;
    this._scheduleCallbacks();
  }

  /** Marks the future done with an exception; `InvalidStateError` when already done. */
  setException(exception: unknown): void {
    if (this._state !== PENDING) throw new InvalidStateError(`invalid state: ${this}`);
    this._exception = exception;
    this._hasException = true;
    this._state = FINISHED;
    if (!(exception instanceof CancelledError)) {
      this.#trackedUnretrieved = true;
      unretrieved.register(this, {
        loop: this._loop,
        message: `${this._kind()} exception was never retrieved\nfuture: ${this}`,
        exception,
      }, this);
    }
    this._scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules its callbacks. Returns `false` when
   * it is already done, `true` otherwise.
   */
  cancel(msg?: string): boolean {
    if (this._state !== PENDING) return false;
    this._state = CANCELLED;
    this._cancelMessage = msg;
    this._scheduleCallbacks();
    return true;
  }

  /**
   * Adds a callback to run, through the loop, with the future once it is
   * done (at once through `callSoon` when it already is).
   */
  addDoneCallback(callback: DoneCallback<this>): void {
    if (this._state !== PENDING) {
      this._loop._callSoon1(callback, this);
    } else if (this._callbacks === null) {
      this._callbacks = [callback];
    } else {
      this._callbacks.push(callback);
    }
  }

  /** Removes every instance of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<this>): number {
    const callbacks = this._callbacks;
    if (callbacks === null) return 0;
    const kept = callbacks.filter((cb) => cb !== callback);
    this._callbacks = kept.length > 0 ? kept : null;
    return callbacks.length - kept.length;
  }

  /**
   * Makes the future awaitable. Inside a task the awaiting task is recorded,
   * so that cancelling the task cancels this future and the `await` throws
   * `CancelledError`.
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    // deno-lint-ignore no-explicit-any
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    if (isAwaitOrCombinator(onfulfilled) && typeof onrejected === "function") {
      // `await` or a combinator: V8's resolving functions never throw and
      // V8 ignores what `then` returns, so no promise is made for them.
      const onValue = onfulfilled as Settle;
      const onError = onrejected as Settle;
      const task = taskContext.getStore();
      if (task === undefined || task.done()) {
        this.addDoneCallback((fut) => fut._settle(onValue, onError));
      } else if ((task as unknown) === this) {
        this._loop._callSoon1(onError, new RuntimeError(`Task cannot await on itself: ${this}`));
      } else {
        task._awaitFuture(this, onValue, onError);
      }
      return undefined as unknown as Promise<R1 | R2>;
    }
    return new Promise<R1 | R2>((resolve, reject) => {
      const onValue = (value: unknown) => {
        try {
          resolve(onfulfilled ? onfulfilled(value as T) : value as R1);
        } catch (e) {
          reject(e);
        }
      };
      const onError = (reason: unknown) => {
        try {
          if (onrejected) resolve(onrejected(reason));
          else reject(reason);
        } catch (e) {
          reject(e);
        }
      };
      this.addDoneCallback((fut) => fut._settle(onValue, onError));
    });
  }

  /** `then(undefined, onrejected)`, so that a Future can stand for a Promise. */
  catch<R = never>(
    // deno-lint-ignore no-explicit-any
    onrejected?: ((reason: any) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /** Runs `onfinally` once the future is done, passing its outcome through. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.then(
      (value) => {
        onfinally?.();
        return value;
      },
      (reason) => {
        onfinally?.();
        throw reason;
      },
    );
  }

  /** `[object Future]`, as a Promise is `[object Promise]`. */
  get [Symbol.toStringTag](): string {
    return this.constructor.name;
  }

  /** A description such as `<Future finished result=1>`. */
  toString(): string {
    const kind = this.constructor.name;
    if (this._state === PENDING) return `<${kind} pending>`;
    if (this._state === CANCELLED) return `<${kind} cancelled>`;
    if (this._hasException) return `<${kind} finished exception=${describe(this._exception)}>`;
    return `<${kind} finished result=${describe(this._result)}>`;
  }

  /** @internal The word used in loop messages: "Future" or "Task". */
  _kind(): string {
    return "Future";
  }

  /** @internal Hands the outcome to an awaiter. */
  _settle(onValue: Settle, onError: Settle): void {
    if (this._state === CANCELLED) {
      onError(this._makeCancelledError());
    } else if (this._hasException) {
      this._markRetrieved();
      onError(this._exception);
    } else {
      onValue(this._result);
    }
  }

  /** @internal */
  _makeCancelledError(): CancelledError {
    return new CancelledError(this._cancelMessage ?? "");
  }

  /** @internal */
  _markRetrieved(): void {
    if (this.#trackedUnretrieved) {
      this.#trackedUnretrieved = false;
      unretrieved.unregister(this);
    }
  }

  /** @internal */
  _scheduleCallbacks(): void {
    const callbacks = this._callbacks;
    if (callbacks === null) return;
    this._callbacks = null;
    const loop = this._loop;
    for (let i = 0; i < callbacks.length; i++) loop._callSoon1(callbacks[i], this);
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * Python 3.14's `asyncio.future_add_to_awaited_by`: records that `waiter` waits on `fut`, for the call graph of code that waits by other means than `await`.
 *
 * @example
 * ```ts
 * import { addAwaitedBy, createTask, formatCallGraph, getRunningLoop, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const fut = getRunningLoop().createFuture<void>();
 *   const waiter = createTask(() => fut);
 *   addAwaitedBy(fut, waiter);
 *   console.log(formatCallGraph(fut).includes("awaited by")); // true
 *   fut.setResult();
 *   await waiter;
 * });
 * ```
 */
export function addAwaitedBy(fut: Future<unknown>, waiter: Future<unknown>): void {
  (fut._awaitedBy ??= new Set()).add(waiter);
}

/**
 * Python 3.14's `asyncio.future_discard_from_awaited_by`: forgets what `addAwaitedBy` recorded.
 *
 * @example
 * ```ts
 * import { addAwaitedBy, createTask, discardAwaitedBy, formatCallGraph, getRunningLoop, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const fut = getRunningLoop().createFuture<void>();
 *   const waiter = createTask(() => fut);
 *   addAwaitedBy(fut, waiter);
 *   discardAwaitedBy(fut, waiter);
 *   console.log(formatCallGraph(fut).includes("awaited by")); // false
 *   fut.setResult();
 *   await waiter;
 * });
 * ```
 */
export function discardAwaitedBy(fut: Future<unknown>, waiter: Future<unknown>): void {
  fut._awaitedBy?.delete(waiter);
}

/** Sets `fut`'s result unless it was cancelled meanwhile (timer callbacks). */
export function setResultUnlessCancelled<T>(fut: Future<T>, result: T): void {
  if (!fut.done()) fut.setResult(result);
}
