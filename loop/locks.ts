/**
 * Synchronization primitives for tasks, as asyncio's `locks` module:
 * `Event`, `Lock`, `Condition`, `Semaphore`, `BoundedSemaphore` and
 * `Barrier`. They are not thread-safe (an isolate has one thread) and have
 * no timeout argument: wrap a wait in `waitFor` or `timeout` for that.
 *
 * Python's `async with lock:` is written
 *
 * ```ts ignore
 * await lock.acquire();
 * using _ = lock; // releases the lock at the end of the block
 * ```
 *
 * for `Lock`, `Condition`, `Semaphore` and `BoundedSemaphore`: each
 * implements `Symbol.dispose` as `release()`.
 *
 * @module
 */
import { BrokenBarrierError, CancelledError, RuntimeError } from "./exceptions.ts";
import type { EventLoop } from "./event_loop.ts";
import type { Future } from "./futures.ts";
import { getRunningLoop } from "./_running.ts";

// Python's `mixins._LoopBoundMixin`: a primitive is bound to the running
// loop the first time it needs a future, and refuses any other loop after.
class LoopBinding {
  #loop: EventLoop | null = null;

  loop(owner: object): EventLoop {
    const loop = getRunningLoop();
    if (this.#loop === null) {
      this.#loop = loop;
    } else if (this.#loop !== loop) {
      throw new RuntimeError(`${owner} is bound to a different event loop`);
    }
    return loop;
  }
}

// Waiters are futures in a Set: insertion order gives FIFO fairness and a
// waiter leaves from anywhere in O(1).
type Waiters<T> = Set<Future<T>>;

function firstWaiter<T>(waiters: Waiters<T>): Future<T> | undefined {
  for (const fut of waiters) return fut;
  return undefined;
}

function describe(kind: string, state: string, waiters: number): string {
  return waiters > 0 ? `<${kind} [${state}, waiters:${waiters}]>` : `<${kind} [${state}]>`;
}

/**
 * An event: a flag that tasks can wait for. `set()` wakes every task
 * waiting in `wait()`; once set, `wait()` returns at once until `clear()`.
 *
 * @example
 * ```ts
 * import { createTask, Event, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const ready = new Event();
 *   const waiter = createTask(async () => {
 *     await ready.wait();
 *     return "woken";
 *   });
 *   ready.set();
 *   console.log(await waiter); // "woken"
 * });
 * ```
 */
export class Event {
  #waiters: Waiters<true> = new Set();
  #value = false;
  #binding = new LoopBinding();

  /** Whether the flag is set. */
  isSet(): boolean {
    return this.#value;
  }

  /**
   * Sets the flag and wakes every waiting task. Tasks that call `wait()`
   * afterwards do not wait at all.
   */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    for (const fut of this.#waiters) {
      if (!fut.done()) fut.setResult(true);
    }
  }

  /** Clears the flag: later calls to `wait()` wait for the next `set()`. */
  clear(): void {
    this.#value = false;
  }

  /**
   * Waits until the flag is set and returns `true` (at once when it already
   * is). A cancelled wait throws `CancelledError`.
   */
  async wait(): Promise<true> {
    if (this.#value) return true;
    const fut = this.#binding.loop(this).createFuture<true>();
    this.#waiters.add(fut);
    try {
      await fut;
      return true;
    } finally {
      this.#waiters.delete(fut);
    }
  }

  /** A description such as `<Event [unset, waiters:1]>`. */
  toString(): string {
    return describe("Event", this.#value ? "set" : "unset", this.#waiters.size);
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }
}

/**
 * A mutual-exclusion lock, not owned by a task: any task may release it.
 * Waiting tasks get the lock in first-in first-out order; a task cancelled
 * while it waits passes its turn on, so no wakeup is lost.
 *
 * Python's `async with lock:` is `await lock.acquire(); using _ = lock;`:
 * `Symbol.dispose` releases the lock at the end of the block.
 *
 * @example
 * ```ts
 * import { gather, Lock, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const lock = new Lock();
 *   const order: string[] = [];
 *   async function worker(name: string) {
 *     await lock.acquire();
 *     using _ = lock; // released at the end of the function
 *     order.push(`${name} in`);
 *     await sleep(0.01);
 *     order.push(`${name} out`);
 *   }
 *   await gather(() => worker("a"), () => worker("b"));
 *   console.log(order); // ["a in", "a out", "b in", "b out"]
 * });
 * ```
 */
export class Lock implements Disposable {
  #waiters: Waiters<true> = new Set();
  #locked = false;
  #binding = new LoopBinding();

  /** Whether the lock is held. */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Acquires the lock, waiting (in FIFO order) while it is held, and
   * returns `true`. A cancelled wait throws `CancelledError` and leaves the
   * lock as it was.
   */
  async acquire(): Promise<true> {
    const waiters = this.#waiters;
    if (!this.#locked && (waiters.size === 0 || allCancelled(waiters))) {
      // Fair scheduling: a newcomer jumps the queue only when every task
      // in it has been cancelled.
      this.#locked = true;
      return true;
    }
    const fut = this.#binding.loop(this).createFuture<true>();
    waiters.add(fut);
    try {
      try {
        await fut;
      } finally {
        waiters.delete(fut);
      }
    } catch (error) {
      // The lock invariant: when the lock is free and tasks wait for it,
      // the first of them is about to run. A cancelled task that had been
      // woken passes the wakeup on.
      if (error instanceof CancelledError && !this.#locked) this.#wakeUpFirst();
      throw error;
    }
    this.#locked = true;
    return true;
  }

  /**
   * Releases the lock and lets the first waiting task, if any, take it.
   * Throws `RuntimeError` when the lock is not held.
   */
  release(): void {
    if (!this.#locked) throw new RuntimeError("Lock is not acquired.");
    this.#locked = false;
    this.#wakeUpFirst();
  }

  /** Releases the lock: `await lock.acquire(); using _ = lock;` is Python's `async with lock:`. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** A description such as `<Lock [locked, waiters:2]>`. */
  toString(): string {
    return describe("Lock", this.#locked ? "locked" : "unlocked", this.#waiters.size);
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  #wakeUpFirst(): void {
    // Only the head: when it is done it is already about to run.
    const fut = firstWaiter(this.#waiters);
    if (fut !== undefined && !fut.done()) fut.setResult(true);
  }
}

function allCancelled(waiters: Waiters<unknown>): boolean {
  for (const fut of waiters) {
    if (!fut.cancelled()) return false;
  }
  return true;
}

/**
 * A condition variable: tasks holding its lock wait in `wait()` until
 * another task calls `notify()` or `notifyAll()`. The lock is a new `Lock`
 * unless one is given (several conditions may share a lock).
 *
 * `await cond.acquire(); using _ = cond;` is Python's `async with cond:`:
 * `Symbol.dispose` releases the lock at the end of the block.
 *
 * @example
 * ```ts
 * import { Condition, createTask, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const cond = new Condition();
 *   const items: number[] = [];
 *   const consumer = createTask(async () => {
 *     await cond.acquire();
 *     using _ = cond;
 *     await cond.waitFor(() => items.length > 0);
 *     return items.shift();
 *   });
 *   await cond.acquire();
 *   {
 *     using _ = cond;
 *     items.push(42);
 *     cond.notify();
 *   }
 *   console.log(await consumer); // 42
 * });
 * ```
 */
export class Condition implements Disposable {
  #lock: Lock;
  #waiters: Waiters<boolean> = new Set();
  #binding = new LoopBinding();

  /** Creates the condition on `lock`, or on a new `Lock`. */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError("Condition() takes a Lock");
    }
    this.#lock = lock ?? new Lock();
  }

  /** Whether the underlying lock is held. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /** Acquires the underlying lock (see `Lock.acquire`); returns `true`. */
  acquire(): Promise<true> {
    return this.#lock.acquire();
  }

  /** Releases the underlying lock; `RuntimeError` when it is not held. */
  release(): void {
    this.#lock.release();
  }

  /** Releases the lock: `await cond.acquire(); using _ = cond;` is Python's `async with cond:`. */
  [Symbol.dispose](): void {
    this.release();
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock and
   * returns `true`. The lock is re-acquired even when the wait is cancelled,
   * and the `CancelledError` is then thrown; a notification that a
   * cancelled or failed waiter received goes to another waiter. Wakeups
   * may be spurious: re-check the state, or use `waitFor`. Throws
   * `RuntimeError` when the lock is not held.
   */
  async wait(): Promise<true> {
    if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock");
    const fut = this.#binding.loop(this).createFuture<boolean>();
    this.release();
    let failure: { error: unknown } | null = null;
    this.#waiters.add(fut);
    try {
      await fut;
    } catch (error) {
      failure = { error };
    } finally {
      this.#waiters.delete(fut);
    }
    // The caller holds the lock again whatever happened: keep acquiring it
    // through cancellations, and throw the most recent one afterwards.
    for (;;) {
      try {
        await this.acquire();
        break;
      } catch (error) {
        if (!(error instanceof CancelledError)) {
          this.#notify(1);
          throw error;
        }
        failure = { error };
      }
    }
    if (failure !== null) {
      // This task may have been notified before it failed: hand the
      // notification to another waiter (a spurious wakeup at worst).
      this.#notify(1);
      throw failure.error;
    }
    return true;
  }

  /**
   * Waits (with `wait()`) until `predicate()` is truthy and returns its
   * last value; the predicate is checked first, with the lock held.
   */
  async waitFor<R>(predicate: () => R): Promise<R> {
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` tasks waiting in `wait()` (they return once they get
   * the lock back, after the caller releases it). Throws `RuntimeError`
   * when the lock is not held.
   */
  notify(n = 1): void {
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock");
    this.#notify(n);
  }

  /** Wakes every task waiting in `wait()`; `RuntimeError` when the lock is not held. */
  notifyAll(): void {
    this.notify(this.#waiters.size);
  }

  /** A description such as `<Condition [unlocked, waiters:1]>`. */
  toString(): string {
    return describe("Condition", this.locked() ? "locked" : "unlocked", this.#waiters.size);
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  #notify(n: number): void {
    let woken = 0;
    for (const fut of this.#waiters) {
      if (woken >= n) break;
      if (!fut.done()) {
        woken++;
        fut.setResult(false);
      }
    }
  }
}

function checkInitialValue(value: unknown, what: string): number {
  if (typeof value !== "number") {
    throw new TypeError(`${what} initial value must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${what} initial value must be an integer >= 0, got ${value}`);
  }
  return value;
}

// Set by Semaphore's static block: how BoundedSemaphore sets its bound.
let bindSemaphore: (sem: Semaphore, bound: number) => void;

/**
 * A semaphore: a counter that `acquire()` decrements, waiting while it is
 * zero, and `release()` increments. Waiting tasks are served in FIFO order,
 * and a newcomer waits behind them even when the counter is above zero.
 *
 * `await sem.acquire(); using _ = sem;` is Python's `async with sem:`:
 * `Symbol.dispose` releases the semaphore at the end of the block.
 *
 * @example
 * ```ts
 * import { gather, run, Semaphore, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const sem = new Semaphore(2);
 *   let running = 0;
 *   let most = 0;
 *   async function job() {
 *     await sem.acquire();
 *     using _ = sem;
 *     running++;
 *     most = Math.max(most, running);
 *     await sleep(0.01);
 *     running--;
 *   }
 *   // One coroutine function per task (gather runs a repeated argument once).
 *   await gather(...Array.from({ length: 5 }, () => () => job()));
 *   console.log(most); // 2
 * });
 * ```
 */
export class Semaphore implements Disposable {
  #value: number;
  #bound = Infinity;
  #waiters: Waiters<true> = new Set();
  #binding = new LoopBinding();

  /** Lets `BoundedSemaphore` set its bound, which is private to this class. */
  static #setBound(sem: Semaphore, bound: number): void {
    sem.#bound = bound;
  }

  static {
    bindSemaphore = Semaphore.#setBound;
  }

  /**
   * Creates the semaphore with the counter at `value` (1 by default);
   * `RangeError` when `value` is negative (Python's `ValueError`).
   */
  constructor(value = 1) {
    this.#value = checkInitialValue(value, "Semaphore");
  }

  /**
   * Whether `acquire()` would wait: the counter is zero, or tasks that were
   * not cancelled are waiting before it.
   */
  locked(): boolean {
    if (this.#value === 0) return true;
    if (this.#waiters.size === 0) return false;
    for (const fut of this.#waiters) {
      if (!fut.cancelled()) return true;
    }
    return false;
  }

  /**
   * Decrements the counter, waiting first (in FIFO order) while it is zero
   * or other tasks wait, and returns `true`. A cancelled wait throws
   * `CancelledError`, and a wakeup it had received goes to the next task.
   */
  async acquire(): Promise<true> {
    if (!this.locked()) {
      this.#value--;
      return true;
    }
    const fut = this.#binding.loop(this).createFuture<true>();
    this.#waiters.add(fut);
    try {
      try {
        await fut;
      } finally {
        this.#waiters.delete(fut);
      }
    } catch (error) {
      if (error instanceof CancelledError && fut.done() && !fut.cancelled()) {
        // Woken by release(), which counted us in, but cancelled before we
        // could take it: give the unit back for another task.
        this.#value++;
      }
      throw error;
    } finally {
      // Tasks that arrived meanwhile waited for FIFO's sake: wake as many
      // of them as the counter allows.
      while (this.#value > 0) {
        if (!this.#wakeUpNext()) break;
      }
    }
    return true;
  }

  /**
   * Increments the counter and wakes the first waiting task. A
   * `BoundedSemaphore` throws `RangeError` when released too many times.
   */
  release(): void {
    if (this.#value >= this.#bound) {
      throw new RangeError("BoundedSemaphore released too many times");
    }
    this.#value++;
    this.#wakeUpNext();
  }

  /** Releases the semaphore: `await sem.acquire(); using _ = sem;` is Python's `async with sem:`. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** A description such as `<Semaphore [unlocked, value:2]>`. */
  toString(): string {
    const state = this.locked() ? "locked" : `unlocked, value:${this.#value}`;
    return describe(this.constructor.name, state, this.#waiters.size);
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  // Wakes the first waiter that is not done yet, counting it in.
  #wakeUpNext(): boolean {
    for (const fut of this.#waiters) {
      if (!fut.done()) {
        this.#value--;
        fut.setResult(true);
        return true;
      }
    }
    return false;
  }
}

/**
 * A semaphore that cannot be released above its initial value: such a
 * `release()` throws `RangeError` (Python's `ValueError`), which catches a
 * release without a matching acquire.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const sem = new BoundedSemaphore(1);
 *   await sem.acquire();
 *   sem.release();
 *   try {
 *     sem.release();
 *   } catch (e) {
 *     console.log(e instanceof RangeError); // true
 *   }
 * });
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /** Creates the semaphore with the counter and its bound at `value` (1 by default). */
  constructor(value = 1) {
    super(value);
    bindSemaphore(this, value);
  }
}

const FILLING = "filling";
const DRAINING = "draining";
const RESETTING = "resetting";
const BROKEN = "broken";
type BarrierState = typeof FILLING | typeof DRAINING | typeof RESETTING | typeof BROKEN;

/**
 * A barrier: `parties` tasks call `wait()`, and all of them are released
 * together when the last one arrives. Each gets a distinct index from 0 to
 * `parties - 1`. `reset()` and `abort()` make the waiting tasks throw
 * `BrokenBarrierError`; after `abort()` every `wait()` throws it.
 *
 * @example
 * ```ts
 * import { Barrier, gather, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const barrier = new Barrier(3);
 *   const indices = await gather(
 *     () => barrier.wait(),
 *     () => barrier.wait(),
 *     () => barrier.wait(),
 *   );
 *   console.log(indices.sort()); // [0, 1, 2]
 * });
 * ```
 */
export class Barrier {
  #cond = new Condition();
  #parties: number;
  #state: BarrierState = FILLING;
  #count = 0;

  /** Creates a barrier for `parties` tasks; `RangeError` when `parties < 1`. */
  constructor(parties: number) {
    if (typeof parties !== "number") {
      throw new TypeError(`parties must be a number, got ${typeof parties}`);
    }
    if (!Number.isInteger(parties) || parties < 1) {
      throw new RangeError(`parties must be an integer > 0, got ${parties}`);
    }
    this.#parties = parties;
  }

  /**
   * Waits until `parties` tasks wait on the barrier, then returns this
   * task's index (0 to `parties - 1`; the last to arrive gets
   * `parties - 1`). Throws `BrokenBarrierError` when the barrier is reset
   * or aborted meanwhile, or is broken already.
   */
  async wait(): Promise<number> {
    await this.#cond.acquire();
    using _ = this.#cond;
    await this.#block();
    const index = this.#count++;
    try {
      if (index + 1 === this.#parties) {
        this.#release();
      } else {
        await this.#wait();
      }
      return index;
    } finally {
      this.#count--;
      this.#exit();
    }
  }

  /**
   * Returns the barrier to its initial, empty state. The tasks waiting on
   * it throw `BrokenBarrierError`; new ones wait until they have left.
   */
  async reset(): Promise<void> {
    await this.#cond.acquire();
    using _ = this.#cond;
    if (this.#count > 0) {
      this.#state = RESETTING;
    } else {
      this.#state = FILLING;
    }
    this.#cond.notifyAll();
  }

  /**
   * Breaks the barrier: the waiting tasks and every later `wait()` throw
   * `BrokenBarrierError` (until `reset()`).
   */
  async abort(): Promise<void> {
    await this.#cond.acquire();
    using _ = this.#cond;
    this.#state = BROKEN;
    this.#cond.notifyAll();
  }

  /** How many tasks must call `wait()` to pass the barrier. */
  get parties(): number {
    return this.#parties;
  }

  /** How many tasks wait on the barrier now (0 while it drains or resets). */
  get nWaiting(): number {
    return this.#state === FILLING ? this.#count : 0;
  }

  /** Whether the barrier is broken (by `abort()`). */
  get broken(): boolean {
    return this.#state === BROKEN;
  }

  /** A description such as `<Barrier [filling, waiters:1/3]>`. */
  toString(): string {
    const extra = this.broken
      ? this.#state
      : `${this.#state}, waiters:${this.nWaiting}/${this.#parties}`;
    return `<Barrier [${extra}]>`;
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  // Waits while the barrier drains or resets; throws when it is broken.
  async #block(): Promise<void> {
    await this.#cond.waitFor(() => this.#state !== DRAINING && this.#state !== RESETTING);
    if (this.#state === BROKEN) throw new BrokenBarrierError("Barrier aborted");
  }

  // The last task arrived: release the others.
  #release(): void {
    this.#state = DRAINING;
    this.#cond.notifyAll();
  }

  // Waits until the barrier leaves the filling state; throws when it was
  // reset or broken rather than released.
  async #wait(): Promise<void> {
    await this.#cond.waitFor(() => this.#state !== FILLING);
    if (this.#state === BROKEN || this.#state === RESETTING) {
      throw new BrokenBarrierError("Abort or reset of barrier");
    }
  }

  // The last task to leave refills the barrier and wakes those blocked.
  #exit(): void {
    if (this.#count === 0) {
      if (this.#state === RESETTING || this.#state === DRAINING) this.#state = FILLING;
      this.#cond.notifyAll();
    }
  }
}
