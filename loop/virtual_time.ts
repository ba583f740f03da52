/**
 * `VirtualTimeEventLoop`: an event loop whose clock jumps to the next timer
 * instead of waiting for it, for fast and deterministic tests of code that
 * sleeps, times out or schedules timers (asyncio's own tests use such a
 * loop).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { EventLoop } from "./event_loop.ts";

/**
 * An `EventLoop` on a virtual clock that starts at 0. Whenever no callback
 * is ready, the clock moves straight to the next timer, so `sleep(3600)`
 * takes no real time. Before it moves, the loop lets one macrotask turn
 * pass, so I/O that has already completed is handled first; code whose
 * waits are real I/O should use the ordinary loop, since the clock does not
 * wait for it.
 *
 * @example
 * ```ts
 * import { run, sleep, VirtualTimeEventLoop } from "@asyncio/asyncio";
 * const started = performance.now();
 * await run(async () => {
 *   await sleep(3600); // an hour on the virtual clock
 * }, { loopFactory: () => new VirtualTimeEventLoop() });
 * console.log(performance.now() - started < 1000); // true
 * ```
 */
export class VirtualTimeEventLoop extends EventLoop {
  #now = 0;
  #advancePending = false;

  /** The virtual clock, in seconds. */
  override time(): number {
    return this.#now;
  }

  /**
   * Moves the clock forward by `seconds` now; the timers that become due
   * run at the loop's next iteration.
   */
  advance(seconds: number): void {
    if (typeof seconds !== "number" || !(seconds >= 0)) {
      throw new RangeError("advance() takes a number of seconds >= 0");
    }
    this.#now += seconds;
    this._wakeNow();
  }

  /** @internal Instead of a real timer, jumps to the first deadline when idle. */
  override _armTimer(): void {
    if (this.#advancePending || this._nextTimerWhen() === undefined) return;
    this.#advancePending = true;
    setImmediate(this.#advanceToNextTimer);
  }

  #advanceToNextTimer = (): void => {
    this.#advancePending = false;
    if (!this._isIdle()) return; // work arrived meanwhile; it re-arms when idle
    const when = this._nextTimerWhen();
    if (when === undefined) return;
    if (when > this.#now) this.#now = when;
    this._wakeNow();
  };
}
