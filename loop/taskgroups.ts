/**
 * `TaskGroup`: structured concurrency, as Python 3.11's.
 *
 * Python's `async with asyncio.TaskGroup() as tg:` becomes the callback
 * form `await new TaskGroup().run(async (tg) => { ... })`: the block runs in
 * the current task, and `run` returns once every task of the group is done.
 *
 * @module
 */
import { CancelledError, ExceptionGroup, KeyboardInterrupt, RuntimeError } from "./exceptions.ts";
import { addAwaitedBy, discardAwaitedBy, type Future } from "./futures.ts";
import { currentTask } from "./tasks.ts";
import type { Coroutine, Task, TaskOptions } from "./tasks.ts";
import { getRunningLoop } from "./_running.ts";
import type { EventLoop } from "./event_loop.ts";

const NONE: unique symbol = Symbol("none");

/**
 * A group of tasks that ends together: `run(body)` waits for every task
 * created with `createTask`; the first task to fail cancels the others and
 * the block, and the failures are thrown together as an `ExceptionGroup`.
 *
 * @example
 * ```ts
 * import { run, sleep, TaskGroup } from "@asyncio/asyncio";
 * await run(async () => {
 *   const [a, b] = await new TaskGroup().run((tg) => [
 *     tg.createTask(() => sleep(0.02, "a")),
 *     tg.createTask(() => sleep(0.01, "b")),
 *   ]);
 *   console.log(a.result(), b.result()); // "a" "b"
 * });
 * ```
 */
export class TaskGroup {
  #entered = false;
  #exiting = false;
  #aborting = false;
  #loop: EventLoop | null = null;
  #parentTask: Task<unknown> | null = null;
  #parentCancelRequested = false;
  #tasks = new Set<Task<unknown>>();
  #errors: unknown[] = [];
  #baseError: unknown = NONE;
  #onCompleted: Future<boolean> | null = null;

  /**
   * Runs `body(this)` in the current task, then waits for every task of the
   * group, and returns what `body` returned. Throws an `ExceptionGroup` of
   * the failures, if any.
   */
  async run<T>(body: (group: TaskGroup) => PromiseLike<T> | T): Promise<T> {
    this.#enter();
    let result: T;
    try {
      result = await body(this);
    } catch (error) {
      await this.#exit(true, error);
      throw error;
    }
    await this.#exit(false, undefined);
    return result;
  }

  /**
   * Creates a task of the group. Throws `RuntimeError` outside `run`, once
   * the group is finished, or while it shuts down after a failure.
   */
  createTask<T>(coro: Coroutine<T>, options: TaskOptions = {}): Task<T> {
    if (!this.#entered) throw new RuntimeError(`TaskGroup ${this} has not been entered`);
    if (this.#exiting && this.#tasks.size === 0) {
      throw new RuntimeError(`TaskGroup ${this} is finished`);
    }
    if (this.#aborting) throw new RuntimeError(`TaskGroup ${this} is shutting down`);
    const task = this.#loop!.createTask(coro, options);
    if (task.done()) {
      this.#onTaskDone(task);
    } else {
      this.#tasks.add(task as Task<unknown>);
      addAwaitedBy(task, this.#parentTask!);
      task.addDoneCallback(this.#onTaskDone);
    }
    return task;
  }

  /** A description such as `<TaskGroup tasks=2 entered>`. */
  toString(): string {
    const parts = [];
    if (this.#tasks.size > 0) parts.push(`tasks=${this.#tasks.size}`);
    if (this.#errors.length > 0) parts.push(`errors=${this.#errors.length}`);
    if (this.#aborting) parts.push("cancelling");
    else if (this.#entered) parts.push("entered");
    return `<TaskGroup${parts.length ? " " + parts.join(" ") : ""}>`;
  }

  #enter(): void {
    if (this.#entered) throw new RuntimeError(`TaskGroup ${this} has already been entered`);
    this.#loop ??= getRunningLoop();
    this.#parentTask = currentTask(this.#loop);
    if (this.#parentTask === null) {
      throw new RuntimeError(`TaskGroup ${this} cannot determine the parent task`);
    }
    this.#entered = true;
  }

  async #exit(failed: boolean, error: unknown): Promise<void> {
    this.#exiting = true;
    if (failed && error instanceof KeyboardInterrupt && this.#baseError === NONE) {
      this.#baseError = error;
    }
    let propagateCancellation: unknown = failed && error instanceof CancelledError ? error : NONE;
    // The block failed, or our task is being cancelled: stop the others.
    if (failed && !this.#aborting) this.#abort();

    while (this.#tasks.size > 0) {
      this.#onCompleted ??= this.#loop!.createFuture<boolean>();
      try {
        await this.#onCompleted;
      } catch (cancelled) {
        if (!(cancelled instanceof CancelledError)) throw cancelled;
        if (!this.#aborting) {
          // The parent task is cancelled while the group's tasks still run.
          propagateCancellation = cancelled;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }

    if (this.#baseError !== NONE) throw this.#baseError;

    // The group cancelled its parent to stop the block: take that back.
    if (this.#parentCancelRequested && this.#parentTask!.uncancel() === 0) {
      propagateCancellation = NONE;
    }
    if (propagateCancellation !== NONE && this.#errors.length === 0) {
      throw propagateCancellation;
    }
    if (failed && !(error instanceof CancelledError)) this.#errors.push(error);
    if (this.#errors.length > 0) {
      // Keep the parent's cancel count stable when it is also cancelled
      // from outside the group.
      if (this.#parentTask!.cancelling() > 0) {
        this.#parentTask!.uncancel();
        this.#parentTask!.cancel();
      }
      const errors = this.#errors;
      this.#errors = [];
      throw new ExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
  }

  #abort(): void {
    this.#aborting = true;
    for (const task of this.#tasks) if (!task.done()) task.cancel();
  }

  #onTaskDone = (task: Task<unknown>): void => {
    this.#tasks.delete(task);
    if (this.#parentTask !== null) discardAwaitedBy(task, this.#parentTask);
    if (this.#onCompleted !== null && this.#tasks.size === 0 && !this.#onCompleted.done()) {
      this.#onCompleted.setResult(true);
    }
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === null) return;
    this.#errors.push(exc);
    if (exc instanceof KeyboardInterrupt && this.#baseError === NONE) this.#baseError = exc;
    if (this.#parentTask!.done()) {
      this.#loop!.callExceptionHandler({
        message:
          `Task ${task} has errored out but its parent task ${this.#parentTask} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Cancel the parent so that the block stops where it awaits; `#exit`
      // withdraws this cancellation again.
      this.#abort();
      this.#parentCancelRequested = true;
      this.#parentTask!.cancel();
    }
  };
}
