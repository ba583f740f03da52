// The loop running in this isolate, kept apart from the loop class so that
// futures and tasks can find it without importing the loop module.
import { RuntimeError } from "./exceptions.ts";
import { taskContext } from "./_context.ts";
import type { EventLoop } from "./event_loop.ts";

let runningLoop: EventLoop | null = null;
let eventLoopGetter: (() => EventLoop) | null = null;

/** Marks `loop` as the running loop (or none); used by `runForever`. */
export function setRunningLoop(loop: EventLoop | null): void {
  runningLoop = loop;
}

/**
 * Returns the running loop, or `null`. Code of a task resumed in the
 * microtasks that follow the loop's last callback still belongs to that
 * task's loop, as it would in Python where it would not run at all.
 */
export function getRunningLoopOrNull(): EventLoop | null {
  const task = taskContext.getStore();
  if (task !== undefined && !task.done()) return task.getLoop();
  return runningLoop;
}

/**
 * Returns the running event loop of this isolate; throws `RuntimeError`
 * when no loop is running.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   console.log(loop.isRunning()); // true
 * });
 * ```
 */
export function getRunningLoop(): EventLoop {
  const loop = getRunningLoopOrNull();
  if (loop === null) throw new RuntimeError("no running event loop");
  return loop;
}

/** Installed by the policy module: how `getEventLoop()` finds a loop. */
export function setEventLoopGetter(getter: () => EventLoop): void {
  eventLoopGetter = getter;
}

/** The running loop, else the policy's current loop (Python 3.13 rules). */
export function currentEventLoop(): EventLoop {
  const loop = getRunningLoopOrNull();
  if (loop !== null) return loop;
  if (eventLoopGetter === null) {
    throw new RuntimeError("There is no current event loop");
  }
  return eventLoopGetter();
}
