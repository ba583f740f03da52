/**
 * Access to event loops: `getEventLoop`, `setEventLoop`, `newEventLoop` and
 * the policies behind them, as in Python 3.13.
 *
 * @module
 */
import { EventLoop } from "./event_loop.ts";
import { getRunningLoopOrNull, setEventLoopGetter } from "./_running.ts";
import { RuntimeError } from "./exceptions.ts";

/**
 * The interface of an event loop policy: where `getEventLoop()`,
 * `setEventLoop()` and `newEventLoop()` go.
 *
 * @example
 * ```ts
 * import { AbstractEventLoopPolicy, EventLoop, setEventLoopPolicy } from "@asyncio/asyncio";
 * class CountingPolicy extends AbstractEventLoopPolicy {
 *   made = 0;
 *   #loop: EventLoop | null = null;
 *   getEventLoop(): EventLoop {
 *     return this.#loop ??= this.newEventLoop();
 *   }
 *   setEventLoop(loop: EventLoop | null): void {
 *     this.#loop = loop;
 *   }
 *   newEventLoop(): EventLoop {
 *     this.made++;
 *     return new EventLoop();
 *   }
 * }
 * setEventLoopPolicy(new CountingPolicy());
 * setEventLoopPolicy(null);
 * ```
 */
export abstract class AbstractEventLoopPolicy {
  /** The current loop of this context. */
  abstract getEventLoop(): EventLoop;
  /** Sets the current loop (or none). */
  abstract setEventLoop(loop: EventLoop | null): void;
  /** Makes a new loop. */
  abstract newEventLoop(): EventLoop;
}

/**
 * The default policy: one current loop for the isolate, made on first use
 * by `getEventLoop()` (as Python's policy does in the main thread).
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy } from "@asyncio/asyncio";
 * const policy = new DefaultEventLoopPolicy();
 * const loop = policy.getEventLoop();
 * console.log(policy.getEventLoop() === loop); // true
 * loop.close();
 * ```
 */
export class DefaultEventLoopPolicy extends AbstractEventLoopPolicy {
  #loop: EventLoop | null = null;
  #setCalled = false;

  /** The current loop; one is made on first use unless `setEventLoop` was called. */
  getEventLoop(): EventLoop {
    if (this.#loop === null && !this.#setCalled) {
      this.setEventLoop(this.newEventLoop());
    }
    if (this.#loop === null) {
      throw new RuntimeError("There is no current event loop");
    }
    return this.#loop;
  }

  /** Sets the current loop (or none). */
  setEventLoop(loop: EventLoop | null): void {
    if (loop !== null && !(loop instanceof EventLoop)) {
      throw new TypeError(`loop must be an instance of EventLoop or null, not ${typeof loop}`);
    }
    this.#setCalled = true;
    this.#loop = loop;
  }

  /** Makes a new `EventLoop`. */
  newEventLoop(): EventLoop {
    return new EventLoop();
  }
}

let policy: AbstractEventLoopPolicy | null = null;

/**
 * The current event loop policy (a `DefaultEventLoopPolicy` unless set).
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy, getEventLoopPolicy } from "@asyncio/asyncio";
 * console.log(getEventLoopPolicy() instanceof DefaultEventLoopPolicy); // true
 * ```
 */
export function getEventLoopPolicy(): AbstractEventLoopPolicy {
  return policy ??= new DefaultEventLoopPolicy();
}

/**
 * Sets the event loop policy; `null` restores the default.
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy, setEventLoopPolicy } from "@asyncio/asyncio";
 * setEventLoopPolicy(new DefaultEventLoopPolicy());
 * setEventLoopPolicy(null);
 * ```
 */
export function setEventLoopPolicy(newPolicy: AbstractEventLoopPolicy | null): void {
  if (newPolicy !== null && !(newPolicy instanceof AbstractEventLoopPolicy)) {
    throw new TypeError("policy must be an instance of AbstractEventLoopPolicy or null");
  }
  policy = newPolicy;
}

/**
 * The running loop if there is one, else the policy's current loop (made
 * on first use, as in Python 3.13).
 *
 * @example
 * ```ts
 * import { getEventLoop } from "@asyncio/asyncio";
 * const loop = getEventLoop();
 * console.log(await loop.runUntilComplete(Promise.resolve(5))); // 5
 * ```
 */
export function getEventLoop(): EventLoop {
  return getRunningLoopOrNull() ?? getEventLoopPolicy().getEventLoop();
}

/**
 * Sets the policy's current loop.
 *
 * @example
 * ```ts
 * import { getEventLoop, newEventLoop, setEventLoop } from "@asyncio/asyncio";
 * const loop = newEventLoop();
 * setEventLoop(loop);
 * console.log(getEventLoop() === loop); // true
 * setEventLoop(null);
 * loop.close();
 * ```
 */
export function setEventLoop(loop: EventLoop | null): void {
  getEventLoopPolicy().setEventLoop(loop);
}

/**
 * Makes a new event loop through the policy.
 *
 * @example
 * ```ts
 * import { newEventLoop } from "@asyncio/asyncio";
 * const loop = newEventLoop();
 * console.log(await loop.runUntilComplete(async () => "ran")); // "ran"
 * loop.close();
 * ```
 */
export function newEventLoop(): EventLoop {
  return getEventLoopPolicy().newEventLoop();
}

setEventLoopGetter(() => getEventLoopPolicy().getEventLoop());
