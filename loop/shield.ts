/**
 * `shield`: protect an awaitable from cancellation.
 *
 * @module
 */
import { addAwaitedBy, discardAwaitedBy, type Future } from "./futures.ts";
import { ensureFuture } from "./tasks.ts";
import type { Awaitable, Coroutine } from "./tasks.ts";

/**
 * Returns a future that follows `aw` but whose cancellation does not cancel
 * `aw`: a task awaiting `shield(x)` that is cancelled gets
 * `CancelledError` while `x` runs on. A coroutine function becomes a task.
 *
 * @example
 * ```ts
 * import { createTask, run, shield, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const inner = createTask(() => sleep(0.02, "survived"));
 *   const outer = createTask(() => shield(inner));
 *   await sleep(0);
 *   outer.cancel();
 *   console.log(await inner); // "survived"
 * });
 * ```
 */
export function shield<T>(aw: Awaitable<T> | Coroutine<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = inner.getLoop().createFuture<T>();
  const onInnerDone = (done: Future<T>) => {
    discardAwaitedBy(done, outer);
    if (outer.cancelled()) {
      if (!done.cancelled()) done.exception(); // marks it retrieved
      return;
    }
    if (done.cancelled()) {
      outer.cancel();
      return;
    }
    const exc = done.exception();
    if (exc !== null) outer.setException(exc);
    else outer.setResult(done.result());
  };
  const onOuterDone = () => {
    if (!inner.done()) {
      inner.removeDoneCallback(onInnerDone);
      discardAwaitedBy(inner, outer);
    }
  };
  addAwaitedBy(inner, outer);
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(onOuterDone);
  return outer;
}
