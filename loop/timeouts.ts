/**
 * `timeout`, `timeoutAt` and `waitFor`: bound the time a block or an
 * awaitable may take.
 *
 * Python's `async with asyncio.timeout(10) as cm:` becomes the callback
 * form `await timeout(10, async (cm) => { ... })`: the block is a function
 * run in the current task, and `timeout` returns what it returns.
 *
 * @module
 */
import { CancelledError, RuntimeError, TimeoutError } from "./exceptions.ts";
import { Future } from "./futures.ts";
import type { Handle } from "./handles.ts";
import { currentTask, ensureFuture } from "./tasks.ts";
import type { Awaitable, Coroutine, Task } from "./tasks.ts";
import { getRunningLoop } from "./_running.ts";

/** Options of `timeout`, `timeoutAt` and `waitFor`. */
export interface TimeoutOptions {
  /** Aborting the signal cancels the block, which then throws the signal's reason. */
  signal?: AbortSignal;
}

const CREATED = "created";
const ENTERED = "active";
const EXPIRING = "expiring";
const EXPIRED = "expired";
const EXITED = "finished";

/**
 * The deadline of a `timeout` block, given to the block as its argument
 * (Python's `async with timeout(...) as cm`): `when()`, `reschedule()` and
 * `expired()`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, timeout } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   await timeout(null, async (cm) => {
 *     cm.reschedule(loop.time() + 1); // now the block has a second
 *     await sleep(0.01);
 *     console.log(cm.expired()); // false
 *   });
 * });
 * ```
 */
export class Timeout {
  #state: string = CREATED;
  #when: number | null;
  #handle: Handle | null = null;
  #task: Task<unknown> | null = null;
  #cancelling = 0;
  #abortReason: unknown = undefined;
  #aborted = false;

  /** A timeout that expires at `when` on the loop's clock (`null`: never). */
  constructor(when: number | null) {
    this.#when = when;
  }

  /** The deadline on the loop's clock, or `null` for none. */
  when(): number | null {
    return this.#when;
  }

  /** Moves the deadline (`null` removes it); only inside the block. */
  reschedule(when: number | null): void {
    if (this.#state !== ENTERED) {
      if (this.#state === CREATED) throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${this.#state} Timeout`);
    }
    this.#when = when;
    this.#handle?.cancel();
    this.#handle = null;
    if (when !== null) {
      const loop = getRunningLoop();
      this.#handle = when <= loop.time()
        ? loop.callSoon(() => this.#onTimeout())
        : loop.callAt(when, () => this.#onTimeout());
    }
  }

  /** Whether the deadline passed and the block was cancelled for it. */
  expired(): boolean {
    return this.#state === EXPIRING || this.#state === EXPIRED;
  }

  /** A description such as `<Timeout [active] when=12.5>`. */
  toString(): string {
    const when = this.#state === ENTERED ? ` when=${this.#when}` : "";
    return `<Timeout [${this.#state}]${when}>`;
  }

  /**
   * Runs `body(this)` in the current task under this deadline; throws
   * `TimeoutError` when the deadline cancelled it. `timeout` and `timeoutAt`
   * call it for you.
   */
  async run<T>(body: (timeout: Timeout) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
    this.#enter(signal);
    const onAbort = () => {
      this.#aborted = true;
      this.#abortReason = signal!.reason;
      if (this.#state === ENTERED) this.#onTimeout();
    };
    if (signal !== undefined) {
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    let result: T;
    try {
      result = await body(this);
    } catch (error) {
      this.#exit(true, error);
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    this.#exit(false, undefined);
    return result;
  }

  #enter(signal: AbortSignal | undefined): void {
    if (this.#state !== CREATED) throw new RuntimeError("Timeout has already been entered");
    const task = currentTask();
    if (task === null) throw new RuntimeError("Timeout should be used inside a task");
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError("signal must be an AbortSignal");
    }
    this.#state = ENTERED;
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.reschedule(this.#when);
  }

  #onTimeout(): void {
    if (this.#state !== ENTERED) return;
    this.#task!.cancel();
    this.#state = EXPIRING;
    this.#handle = null;
  }

  #exit(failed: boolean, error: unknown): void {
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === EXPIRING) {
      this.#state = EXPIRED;
      // No newer cancellation than ours: the CancelledError is ours to
      // turn into a TimeoutError (or the abort reason).
      if (this.#task!.uncancel() <= this.#cancelling && failed) {
        if (error instanceof CancelledError) {
          if (this.#aborted) throw this.#abortReason;
          throw new TimeoutError("the block timed out", { cause: error });
        }
      }
    } else if (this.#state === ENTERED) {
      this.#state = EXITED;
    }
  }
}

/**
 * Runs `body` in the current task and cancels it after `delay` seconds
 * (`null`: no deadline), throwing `TimeoutError` then. The block gets the
 * `Timeout`, whose `reschedule()` moves the deadline. Only inside a task.
 *
 * @example
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from "@asyncio/asyncio";
 * await run(async () => {
 *   try {
 *     await timeout(0.01, async () => {
 *       await sleep(1);
 *     });
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export function timeout<T>(
  delay: number | null,
  body: (timeout: Timeout) => PromiseLike<T> | T,
  options: TimeoutOptions = {},
): Promise<T> {
  if (delay !== null && (typeof delay !== "number" || Number.isNaN(delay))) {
    throw new TypeError("delay must be a number of seconds or null");
  }
  const when = delay === null ? null : getRunningLoop().time() + delay;
  return new Timeout(when).run(body, options.signal);
}

/**
 * `timeout` with an absolute deadline on the loop's clock (`loop.time()`).
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, timeoutAt } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const value = await timeoutAt(loop.time() + 1, () => sleep(0.01, "in time"));
 *   console.log(value); // "in time"
 * });
 * ```
 */
export function timeoutAt<T>(
  when: number | null,
  body: (timeout: Timeout) => PromiseLike<T> | T,
  options: TimeoutOptions = {},
): Promise<T> {
  if (when !== null && (typeof when !== "number" || Number.isNaN(when))) {
    throw new TypeError("when must be a number or null");
  }
  return new Timeout(when).run(body, options.signal);
}

async function cancelAndWait(fut: Future<unknown>): Promise<void> {
  const waiter = getRunningLoop().createFuture<void>();
  const release = () => {
    if (!waiter.done()) waiter.setResult();
  };
  fut.addDoneCallback(release);
  try {
    fut.cancel();
    await waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
}

/**
 * Waits for `aw` at most `timeout` seconds (`null`: no limit). On timeout
 * `aw` is cancelled and `TimeoutError` thrown. A coroutine function runs
 * in the current task (as Python 3.12 awaits the coroutine); a foreign
 * promise is wrapped, so the wait ends on time though the promise cannot
 * be stopped.
 *
 * @example
 * ```ts
 * import { run, sleep, waitFor } from "@asyncio/asyncio";
 * await run(async () => {
 *   console.log(await waitFor(sleep(0.01, "quick"), 1)); // "quick"
 * });
 * ```
 */
export async function waitFor<T>(
  aw: Awaitable<T> | Coroutine<T>,
  timeoutSeconds: number | null,
  options: TimeoutOptions = {},
): Promise<T> {
  if (timeoutSeconds !== null && timeoutSeconds !== undefined && timeoutSeconds <= 0) {
    const fut = ensureFuture(aw);
    if (fut.done()) return fut.result();
    await cancelAndWait(fut);
    try {
      return fut.result();
    } catch (error) {
      if (error instanceof CancelledError) {
        throw new TimeoutError("waitFor timed out", { cause: error });
      }
      throw error;
    }
  }
  const body = typeof aw === "function"
    ? aw as Coroutine<T>
    : aw instanceof Future
    ? () => aw
    : () => ensureFuture(aw);
  return await timeout(timeoutSeconds ?? null, body, options);
}
