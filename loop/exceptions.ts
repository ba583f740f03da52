/**
 * The exception classes of asyncio, with the names a Python programmer
 * expects. Python's `ValueError` is JavaScript's `RangeError` and `TypeError`
 * stays `TypeError`; operating-system errors are Deno's own
 * `Deno.errors.*` classes, passed through unchanged.
 *
 * @module
 */

/**
 * Python's `RuntimeError`: the loop is closed, already running, or there is
 * no running loop.
 *
 * @example
 * ```ts
 * import { getRunningLoop, RuntimeError } from "@asyncio/asyncio";
 * try {
 *   getRunningLoop();
 * } catch (e) {
 *   console.log(e instanceof RuntimeError); // true
 * }
 * ```
 */
export class RuntimeError extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
RuntimeError.prototype.name = "RuntimeError";

/**
 * Python's `NotImplementedError`: thrown by a method that cannot work on
 * Deno; its message says why and what to use instead.
 *
 * @example
 * ```ts
 * import { NotImplementedError } from "@asyncio/asyncio";
 * const err = new NotImplementedError("addReader: use a transport");
 * console.log(err.name); // "NotImplementedError"
 * ```
 */
export class NotImplementedError extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
NotImplementedError.prototype.name = "NotImplementedError";

/**
 * The operation was cancelled: thrown at the `await` of a cancelled task.
 * Unlike Python, where it is a `BaseException`, a bare `catch` catches it
 * too: rethrow it unless the cancellation is meant to be suppressed.
 *
 * @example
 * ```ts
 * import { CancelledError, run, sleep, createTask } from "@asyncio/asyncio";
 * await run(async () => {
 *   const task = createTask(() => sleep(10));
 *   await sleep(0);
 *   task.cancel("stop");
 *   try {
 *     await task;
 *   } catch (e) {
 *     console.log(e instanceof CancelledError); // true
 *   }
 * });
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error; the message is the one given to `cancel(msg)`. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
CancelledError.prototype.name = "CancelledError";

/**
 * An operation on a Future or Task in the wrong state, such as setting the
 * result of a future that is already done.
 *
 * @example
 * ```ts
 * import { Future, InvalidStateError, newEventLoop } from "@asyncio/asyncio";
 * const loop = newEventLoop();
 * const fut = new Future<number>({ loop });
 * try {
 *   fut.result();
 * } catch (e) {
 *   console.log(e instanceof InvalidStateError); // true
 * }
 * loop.close();
 * ```
 */
export class InvalidStateError extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
InvalidStateError.prototype.name = "InvalidStateError";

/**
 * The operation exceeded its deadline (`waitFor`, `timeout`, `wait` does
 * not throw it).
 *
 * @example
 * ```ts
 * import { run, sleep, TimeoutError, waitFor } from "@asyncio/asyncio";
 * await run(async () => {
 *   try {
 *     await waitFor(sleep(1), 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export class TimeoutError extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
TimeoutError.prototype.name = "TimeoutError";

/**
 * The stream ended before `readexactly(n)` could read `n` bytes. `partial`
 * holds the bytes that were read, `expected` the count asked for.
 *
 * @example
 * ```ts
 * import { IncompleteReadError } from "@asyncio/asyncio";
 * const err = new IncompleteReadError(new Uint8Array([1, 2]), 4);
 * console.log(err.partial.length, err.expected); // 2 4
 * ```
 */
export class IncompleteReadError extends Error {
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were expected, or `null` for "until a separator". */
  readonly expected: number | null;
  /** Creates the error from the partial bytes and the expected count. */
  constructor(partial: Uint8Array, expected: number | null) {
    const what = expected === null ? "undefined" : String(expected);
    super(`${partial.length} bytes read on a total of ${what} expected bytes`);
    this.partial = partial;
    this.expected = expected;
  }
}
IncompleteReadError.prototype.name = "IncompleteReadError";

/**
 * A separator was not found within the reader's limit. `consumed` is how
 * many bytes would have to be consumed; the data stays in the buffer.
 *
 * @example
 * ```ts
 * import { LimitOverrunError } from "@asyncio/asyncio";
 * const err = new LimitOverrunError("Separator is not found", 10);
 * console.log(err.consumed); // 10
 * ```
 */
export class LimitOverrunError extends Error {
  /** How many bytes are to be consumed. */
  readonly consumed: number;
  /** Creates the error with a message and the consumed count. */
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}
LimitOverrunError.prototype.name = "LimitOverrunError";

/**
 * `Queue.getNowait()` on an empty queue.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from "@asyncio/asyncio";
 * try {
 *   new Queue().getNowait();
 * } catch (e) {
 *   console.log(e instanceof QueueEmpty); // true
 * }
 * ```
 */
export class QueueEmpty extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
QueueEmpty.prototype.name = "QueueEmpty";

/**
 * `Queue.putNowait()` on a full queue.
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from "@asyncio/asyncio";
 * const q = new Queue<number>(1);
 * q.putNowait(1);
 * try {
 *   q.putNowait(2);
 * } catch (e) {
 *   console.log(e instanceof QueueFull); // true
 * }
 * ```
 */
export class QueueFull extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
QueueFull.prototype.name = "QueueFull";

/**
 * A `put` or `get` on a queue that was shut down.
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from "@asyncio/asyncio";
 * const q = new Queue<number>();
 * q.shutdown();
 * try {
 *   q.putNowait(1);
 * } catch (e) {
 *   console.log(e instanceof QueueShutDown); // true
 * }
 * ```
 */
export class QueueShutDown extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
QueueShutDown.prototype.name = "QueueShutDown";

/**
 * `sendfile` cannot use a zero-copy path and `fallback` was false. As in
 * Python, a subclass of `RuntimeError`.
 *
 * @example
 * ```ts
 * import { RuntimeError, SendfileNotAvailableError } from "@asyncio/asyncio";
 * const err = new SendfileNotAvailableError("no zero-copy sendfile");
 * console.log(err instanceof RuntimeError); // true
 * ```
 */
export class SendfileNotAvailableError extends RuntimeError {}
SendfileNotAvailableError.prototype.name = "SendfileNotAvailableError";

/**
 * A `Barrier` was reset or aborted while tasks waited on it. As in Python, a
 * subclass of `RuntimeError`.
 *
 * @example
 * ```ts
 * import { BrokenBarrierError, RuntimeError } from "@asyncio/asyncio";
 * console.log(new BrokenBarrierError("broken") instanceof RuntimeError); // true
 * ```
 */
export class BrokenBarrierError extends RuntimeError {}
BrokenBarrierError.prototype.name = "BrokenBarrierError";

/**
 * Python's `KeyboardInterrupt`: `run` and `Runner` throw it after a first
 * `SIGINT` has cancelled the main task. An exception of this class thrown
 * by a callback stops the loop instead of going to the exception handler.
 *
 * @example
 * ```ts
 * import { KeyboardInterrupt } from "@asyncio/asyncio";
 * console.log(new KeyboardInterrupt().name); // "KeyboardInterrupt"
 * ```
 */
export class KeyboardInterrupt extends Error {
  /** Creates the error with a message. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
KeyboardInterrupt.prototype.name = "KeyboardInterrupt";

/**
 * Python's `ExceptionGroup`: several errors raised together, such as the
 * failures of a `TaskGroup`. An `AggregateError`, so `.errors` works too.
 *
 * @example
 * ```ts
 * import { ExceptionGroup } from "@asyncio/asyncio";
 * const group = new ExceptionGroup("two errors", [new Error("a"), new Error("b")]);
 * console.log(group.exceptions.length); // 2
 * ```
 */
export class ExceptionGroup extends AggregateError {
  /** The grouped errors, in the order they happened. */
  readonly exceptions: readonly unknown[];
  /** Creates the group; the arguments are in Python's order. */
  constructor(message: string, exceptions: Iterable<unknown>) {
    const list = [...exceptions];
    if (list.length === 0) {
      throw new RangeError("second argument (exceptions) must be a non-empty sequence");
    }
    super(list, message);
    this.exceptions = list;
  }
}
ExceptionGroup.prototype.name = "ExceptionGroup";
