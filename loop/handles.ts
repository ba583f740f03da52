/**
 * Callback handles: what `callSoon`, `callLater` and `callAt` return.
 *
 * @module
 */
import type { EventLoop } from "./event_loop.ts";

import type { AnyArgs } from "./event_loop.ts";

/** A callback with its arguments, as scheduled by the loop. */
export type Callback<A extends AnyArgs = AnyArgs> = (...args: A) => unknown;

function describeCallback(callback: Callback, args: readonly unknown[]) {
  const name = callback.name || "<anonymous>";
  const shown = args.map((a) => {
    if (typeof a === "string") return JSON.stringify(a);
    if (typeof a === "function") return a.name || "<function>";
    if (a !== null && typeof a === "object") return a.constructor?.name ?? "Object";
    return String(a);
  });
  return `${name}(${shown.join(", ")})`;
}

/**
 * A callback scheduled by `loop.callSoon()`; `cancel()` stops it from
 * running.
 *
 * @example
 * ```ts
 * import { newEventLoop } from "@asyncio/asyncio";
 * const loop = newEventLoop();
 * const handle = loop.callSoon(() => console.log("never printed"));
 * handle.cancel();
 * console.log(handle.cancelled()); // true
 * loop.close();
 * ```
 */
export class Handle {
  /** @internal */
  _callback: Callback | null;
  /** @internal */
  _args: readonly unknown[] | null;
  /** @internal */
  _loop: EventLoop;
  /** @internal */
  _cancelled = false;
  /** @internal The one argument of `_callSoon1`, kept without an array. */
  _arg: unknown = undefined;
  /** @internal */
  _hasArg = false;

  /** Created by the loop; user code calls `loop.callSoon()` instead. */
  constructor(callback: Callback, args: readonly unknown[] | null, loop: EventLoop) {
    this._callback = callback;
    this._args = args;
    this._loop = loop;
  }

  /** Cancels the callback; a no-op when it already ran or was cancelled. */
  cancel(): void {
    if (!this._cancelled) {
      this._cancelled = true;
      this._callback = null;
      this._args = null;
      this._arg = undefined;
    }
  }

  /** Whether the callback was cancelled. */
  cancelled(): boolean {
    return this._cancelled;
  }

  /** @internal Runs the callback; its errors go to the exception handler. */
  _run(): void {
    const callback = this._callback!;
    const args = this._args;
    // A ran handle lets go of its callback and arguments, which an error's
    // captured stack could otherwise keep alive through this frame.
    this._callback = null;
    this._args = null;
    try {
      if (args !== null) callback(...args);
      else if (this._hasArg) {
        const arg = this._arg;
        this._arg = undefined;
        callback(arg);
      } else callback();
    } catch (exception) {
      this._loop._callbackFailed(this, exception);
    }
  }

  /** A description such as `<Handle greet("world")>`. */
  toString(): string {
    const what = this._cancelled
      ? "cancelled"
      : this._callback === null
      ? "ran"
      : describeCallback(this._callback, this._args ?? (this._hasArg ? [this._arg] : []));
    return `<${this.constructor.name} ${what}>`;
  }
}

/**
 * A callback scheduled for a time by `callLater()` or `callAt()`.
 *
 * @example
 * ```ts
 * import { newEventLoop } from "@asyncio/asyncio";
 * const loop = newEventLoop();
 * const timer = loop.callLater(5, () => {});
 * console.log(timer.when() - loop.time() <= 5); // true
 * timer.cancel();
 * loop.close();
 * ```
 */
export class TimerHandle extends Handle {
  /** @internal */
  _when: number;
  /** @internal */
  _seq: number;
  /** @internal Whether the timer is in the loop's heap. */
  _scheduled = false;

  /** Created by the loop; user code calls `loop.callLater()` instead. */
  constructor(
    when: number,
    seq: number,
    callback: Callback,
    args: readonly unknown[] | null,
    loop: EventLoop,
  ) {
    super(callback, args, loop);
    this._when = when;
    this._seq = seq;
  }

  /** The absolute time, on the loop's clock (`loop.time()`), when it runs. */
  when(): number {
    return this._when;
  }

  /** Cancels the timer; the loop drops it from its heap lazily. */
  override cancel(): void {
    if (!this._cancelled) {
      if (this._scheduled) this._loop._timerHandleCancelled();
      super.cancel();
    }
  }

  /** A description such as `<TimerHandle when=12.5 greet()>`. */
  override toString(): string {
    const what = this._cancelled
      ? "cancelled"
      : this._callback === null
      ? "ran"
      : describeCallback(this._callback, this._args ?? (this._hasArg ? [this._arg] : []));
    return `<TimerHandle when=${this._when} ${what}>`;
  }
}
