/**
 * `gather`: run awaitables concurrently and collect their results.
 *
 * @module
 */
import { CancelledError } from "./exceptions.ts";
import { addAwaitedBy, discardAwaitedBy, Future } from "./futures.ts";
import { ensureFuture } from "./tasks.ts";
import type { Awaitable, Coroutine } from "./tasks.ts";
import { currentEventLoop } from "./_running.ts";
import type { EventLoop } from "./event_loop.ts";

/** Options of `gather`, given as its last argument. */
export interface GatherOptions {
  /** Give exceptions as results instead of failing on the first one. */
  returnExceptions?: boolean;
}

/** What `gather` accepts: an awaitable or a coroutine function. */
// deno-lint-ignore no-explicit-any
export type Gatherable = Awaitable<any> | Coroutine<any>;

/** The result type of one argument of `gather`. */
export type ResultOf<A> = A extends Coroutine<infer T> ? Awaited<T>
  : A extends PromiseLike<infer T> ? Awaited<T>
  : never;

/** The results of `gather(...aws)`, element by element. */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: ResultOf<A[K]>;
};

// The future `gather` returns: cancelling it cancels the children.
class GatheringFuture<T> extends Future<T> {
  readonly children: Future<unknown>[];
  cancelRequested = false;

  constructor(children: Future<unknown>[], loop: EventLoop) {
    super({ loop });
    this.children = children;
  }

  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let cancelledAny = false;
    for (const child of this.children) {
      if (child.cancel(msg)) cancelledAny = true;
    }
    // A cancellation that reached a child propagates whatever
    // `returnExceptions` says (CPython issue 32684).
    if (cancelledAny) this.cancelRequested = true;
    return cancelledAny;
  }
}

function isOptions(value: unknown): value is GatherOptions {
  return value !== null && typeof value === "object" && !(value instanceof Future) &&
    typeof (value as PromiseLike<unknown>).then !== "function";
}

/**
 * Runs the awaitables concurrently (coroutine functions as tasks) and
 * gives their results in order. The first exception rejects the gather
 * unless `returnExceptions` is true, when exceptions are results;
 * cancelling the gather cancels every child that is not done. Options, if
 * any, come last.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const results = await gather(
 *     () => sleep(0.02, "a"),
 *     sleep(0.01, "b"),
 *     Promise.resolve("c"),
 *   );
 *   console.log(results); // ["a", "b", "c"]
 * });
 * ```
 */
export function gather<A extends Gatherable[]>(
  ...args: [...A] | [...A, GatherOptions]
): Future<GatherResults<A>> {
  let returnExceptions = false;
  let aws = args as Gatherable[];
  if (aws.length > 0 && isOptions(aws[aws.length - 1])) {
    returnExceptions = Boolean((aws[aws.length - 1] as GatherOptions).returnExceptions);
    aws = aws.slice(0, -1);
  }
  if (aws.length === 0) {
    const outer = currentEventLoop().createFuture<GatherResults<A>>();
    outer.setResult([] as unknown as GatherResults<A>);
    return outer;
  }

  const byArg = new Map<unknown, Future<unknown>>();
  const children: Future<unknown>[] = [];
  const alreadyDone: Future<unknown>[] = [];
  let loop: EventLoop | undefined;
  let outer: GatheringFuture<GatherResults<A>> | null = null;
  let finished = 0;
  let count = 0;

  const onChildDone = (fut: Future<unknown>): void => {
    finished++;
    if (outer !== null) discardAwaitedBy(fut, outer);
    if (outer === null || outer.done()) {
      if (!fut.cancelled()) fut.exception(); // marks it retrieved
      return;
    }
    if (!returnExceptions) {
      if (fut.cancelled()) {
        outer.setException(fut._makeCancelledError());
        return;
      }
      const exc = fut.exception();
      if (exc !== null) {
        outer.setException(exc);
        return;
      }
    }
    if (finished === count) {
      const results = children.map((child) => {
        if (child.cancelled()) return new CancelledError(child._cancelMessage ?? "");
        const exc = child.exception();
        return exc !== null ? exc : child.result();
      });
      if (outer.cancelRequested) {
        outer.setException(fut._makeCancelledError());
      } else {
        outer.setResult(results as unknown as GatherResults<A>);
      }
    }
  };

  for (const arg of aws) {
    // The same future or promise twice is awaited once, as in asyncio; a
    // coroutine function makes a new task each time it is passed.
    let fut = typeof arg === "function" ? undefined : byArg.get(arg);
    if (fut === undefined) {
      fut = ensureFuture(arg, loop === undefined ? {} : { loop });
      loop ??= fut.getLoop();
      count++;
      if (typeof arg !== "function") byArg.set(arg, fut);
      if (fut.done()) alreadyDone.push(fut);
      else fut.addDoneCallback(onChildDone);
    }
    children.push(fut);
  }
  outer = new GatheringFuture<GatherResults<A>>(children, loop!);
  for (const fut of children) if (!fut.done()) addAwaitedBy(fut, outer);
  for (const fut of alreadyDone) onChildDone(fut);
  return outer;
}
