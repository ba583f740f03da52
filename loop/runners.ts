/**
 * `run` and `Runner`: the entry points of an asyncio program.
 *
 * @module
 */
import { CancelledError, KeyboardInterrupt, RuntimeError } from "./exceptions.ts";
import { newEventLoop, setEventLoop } from "./events.ts";
import type { EventLoop } from "./event_loop.ts";
import { gather } from "./gather.ts";
import { allTasks, checkCoroutine, type Task } from "./tasks.ts";
import type { Awaitable, Coroutine } from "./tasks.ts";
import { getRunningLoopOrNull } from "./_running.ts";

/** Options of `run` and `Runner`. */
export interface RunnerOptions {
  /** Turns the loop's debug mode on or off. */
  debug?: boolean;
  /** Makes the loop (for example a `VirtualTimeEventLoop`); `newEventLoop` by default. */
  loopFactory?: () => EventLoop;
}

const CREATED = 0;
const INITIALIZED = 1;
const CLOSED = 2;

/**
 * Runs coroutines on one loop that it makes and closes, as Python's
 * `asyncio.Runner`. `await using` closes it (`async with` in Python).
 * During `run`, a first `SIGINT` cancels the main task, which then makes
 * `run` throw `KeyboardInterrupt`.
 *
 * @example
 * ```ts
 * import { Runner, sleep } from "@asyncio/asyncio";
 * await using runner = new Runner();
 * console.log(await runner.run(() => sleep(0.01, 1))); // 1
 * console.log(await runner.run(() => sleep(0.01, 2))); // 2: the same loop
 * ```
 */
export class Runner {
  #state = CREATED;
  #options: RunnerOptions;
  #loop: EventLoop | null = null;
  #setEventLoop = false;
  #interruptCount = 0;

  /** Creates the runner; the loop is made on first use. */
  constructor(options: RunnerOptions = {}) {
    this.#options = options;
  }

  /**
   * Runs `coro` (a coroutine function, or an awaitable) in a new task on the
   * runner's loop and returns its result.
   */
  async run<T>(coro: Coroutine<T> | Awaitable<T>): Promise<T> {
    if (getRunningLoopOrNull()?.isRunning()) {
      throw new RuntimeError("Runner.run() cannot be called from a running event loop");
    }
    const loop = this.#lazyInit();
    let task: Task<T> | null = null;
    if (typeof coro === "function") {
      task = loop.createTask(coro as Coroutine<T>);
    } else {
      checkAwaitable(coro);
      const awaitable = coro;
      task = loop.createTask(async () => await awaitable);
    }
    this.#interruptCount = 0;
    const mainTask = task;
    const onSigint = () => this.#onSigint(mainTask);
    const listening = addSigintListener(onSigint);
    try {
      return await loop.runUntilComplete(task);
    } catch (error) {
      if (error instanceof CancelledError && this.#interruptCount > 0) {
        if (task.uncancel() === 0) throw new KeyboardInterrupt();
      }
      throw error;
    } finally {
      if (listening) Deno.removeSignalListener("SIGINT", onSigint);
    }
  }

  /** The runner's loop (made now if need be). */
  getLoop(): EventLoop {
    return this.#lazyInit();
  }

  /**
   * Cancels the tasks left, shuts the default executor down and closes the
   * loop. Closing twice is a no-op.
   */
  async close(): Promise<void> {
    if (this.#state !== INITIALIZED) return;
    const loop = this.#loop!;
    try {
      await cancelAllTasks(loop);
      await loop.runUntilComplete(loop.shutdownAsyncgens());
      await loop.runUntilComplete(loop.shutdownDefaultExecutor());
    } finally {
      if (this.#setEventLoop) setEventLoop(null);
      loop.close();
      this.#loop = null;
      this.#state = CLOSED;
    }
  }

  /** `await using runner = new Runner()` closes the runner at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #lazyInit(): EventLoop {
    if (this.#state === CLOSED) throw new RuntimeError("Runner is closed");
    if (this.#state === INITIALIZED) return this.#loop!;
    if (this.#options.loopFactory === undefined) {
      this.#loop = newEventLoop();
      setEventLoop(this.#loop);
      this.#setEventLoop = true;
    } else {
      this.#loop = this.#options.loopFactory();
    }
    if (this.#options.debug !== undefined) this.#loop.setDebug(this.#options.debug);
    this.#state = INITIALIZED;
    return this.#loop;
  }

  #onSigint(mainTask: Task<unknown>): void {
    // A program that handles SIGINT itself is left alone, as in Python.
    if (this.#loop?._hasSignalHandler("SIGINT")) return;
    this.#interruptCount++;
    if (this.#interruptCount === 1 && !mainTask.done()) {
      mainTask.cancel();
      return;
    }
    // A second interrupt ends the loop at once, as Python raises
    // KeyboardInterrupt from its handler; a signal listener must not throw.
    this.#loop?._fatalError(new KeyboardInterrupt());
  }
}

function checkAwaitable(value: unknown): void {
  if (value === null || typeof (value as PromiseLike<unknown>)?.then !== "function") {
    checkCoroutine(value, "run");
  }
}

// Deno runs on platforms without SIGINT listeners (Windows supports only
// SIGINT and SIGBREAK, which is fine); a refusal leaves SIGINT as it was.
function addSigintListener(listener: () => void): boolean {
  try {
    Deno.addSignalListener("SIGINT", listener);
    return true;
  } catch {
    return false;
  }
}

async function cancelAllTasks(loop: EventLoop): Promise<void> {
  const toCancel = allTasks(loop);
  if (toCancel.size === 0) return;
  for (const task of toCancel) task.cancel();
  await loop.runUntilComplete(gather(...toCancel, { returnExceptions: true }));
  for (const task of toCancel) {
    if (task.cancelled()) continue;
    const exception = task.exception();
    if (exception !== null) {
      loop.callExceptionHandler({
        message: "unhandled exception during asyncio.run() shutdown",
        exception,
        task,
      });
    }
  }
}

/**
 * Runs the coroutine function `main` on a new loop, closes the loop and
 * returns `main`'s result: the entry point of an asyncio program. Throws
 * `RuntimeError` when a loop is already running.
 *
 * @example
 * ```ts
 * import { run, sleep } from "@asyncio/asyncio";
 * async function main() {
 *   await sleep(0.01);
 *   return "hello";
 * }
 * console.log(await run(main)); // "hello"
 * ```
 */
export async function run<T>(
  main: Coroutine<T> | Awaitable<T>,
  options: RunnerOptions = {},
): Promise<T> {
  if (getRunningLoopOrNull()?.isRunning()) {
    throw new RuntimeError("asyncio.run() cannot be called from a running event loop");
  }
  await using runner = new Runner(options);
  return await runner.run(main);
}
