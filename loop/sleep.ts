/**
 * `sleep`: suspend the current task for a number of seconds.
 *
 * @module
 */
import { CancelledError } from "./exceptions.ts";
import { Future } from "./futures.ts";
import type { TimerHandle } from "./handles.ts";
import { getRunningLoop } from "./_running.ts";

/** Options of `sleep`. */
export interface SleepOptions {
  /** Aborting the signal ends the sleep with the signal's reason. */
  signal?: AbortSignal;
}

// A Future that drops its timer when cancelled, so that a cancelled sleep
// leaves nothing on the loop (Python's `finally: h.cancel()`).
class SleepFuture<T> extends Future<T> {
  timer: TimerHandle | null = null;

  override cancel(msg?: string): boolean {
    this.timer?.cancel();
    return super.cancel(msg);
  }
}

function wake<T>(fut: SleepFuture<T>, result: T): void {
  fut.timer = null;
  if (!fut.done()) fut.setResult(result);
}

/**
 * Suspends the current task for `delay` seconds and then gives `result`.
 * `sleep(0)` yields to the other tasks for one iteration of the loop. A
 * cancelled sleep throws `CancelledError`; an aborted `signal` throws the
 * signal's reason.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const start = loop.time();
 *   const value = await sleep(0.05, "rested");
 *   console.log(value, loop.time() - start >= 0.05); // "rested" true
 * });
 * ```
 */
export function sleep<T = undefined>(
  delay: number,
  result?: T,
  options: SleepOptions = {},
): Future<T> {
  if (typeof delay !== "number") {
    throw new TypeError(`delay must be a number of seconds, got ${typeof delay}`);
  }
  if (Number.isNaN(delay)) throw new RangeError("Invalid delay: NaN (not a number)");
  const loop = getRunningLoop();
  const fut = new SleepFuture<T>({ loop });
  const { signal } = options;
  if (signal !== undefined) {
    if (signal.aborted) {
      rejectWithReason(fut, signal.reason);
      return fut;
    }
    const onAbort = () => rejectWithReason(fut, signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    fut.addDoneCallback(() => signal.removeEventListener("abort", onAbort));
  }
  if (delay <= 0) {
    fut.setResult(result as T);
  } else {
    fut.timer = loop.callLater(delay, wake, fut, result);
  }
  return fut;
}

function rejectWithReason<T>(fut: SleepFuture<T>, reason: unknown): void {
  if (fut.done()) return;
  if (reason instanceof CancelledError) {
    fut.cancel(reason.message || undefined);
  } else {
    fut.timer?.cancel();
    fut.setException(reason);
  }
}
