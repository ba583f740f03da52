/**
 * Introspection, as Python 3.14's `asyncio.graph`: which task awaits which
 * (through `gather`, `TaskGroup`, `shield`, `waitFor`, ...) and where each
 * is suspended.
 *
 * Where a task *other than the current one* is suspended is known only in
 * debug mode (`loop.setDebug(true)` or `run(main, { debug: true })`),
 * which records the stack at every await: JavaScript cannot walk the
 * frames of a suspended async function afterwards.
 *
 * @module
 */
import { Future } from "./futures.ts";
import { currentTask, Task } from "./tasks.ts";
import { getRunningLoop } from "./_running.ts";
import type { EventLoop } from "./event_loop.ts";

/** One frame of a call stack: a function, its file and line. */
export interface FrameCallGraphEntry {
  /** The function's name (`<anonymous>` when it has none). */
  readonly name: string;
  /** The file (a URL), or `""` when unknown. */
  readonly file: string;
  /** The line, 1-based (0 when unknown). */
  readonly line: number;
  /** The column, 1-based (0 when unknown). */
  readonly column: number;
  /** Whether the frame is an async function awaiting (V8's `async` frames). */
  readonly async: boolean;
}

/** A future, where it is suspended, and the futures waiting on it. */
export interface FutureCallGraph {
  /** The future or task. */
  readonly future: Future<unknown>;
  /** Where it is suspended, innermost first (empty for a plain Future). */
  readonly callStack: readonly FrameCallGraphEntry[];
  /** The graphs of the futures and tasks that wait on it. */
  readonly awaitedBy: readonly FutureCallGraph[];
}

/** Options of the call-graph functions. */
export interface CallGraphOptions {
  /**
   * For the current task: skip `depth - 1` frames from the top of its live
   * stack (1 by default: none; this module's own frames are never shown).
   */
  depth?: number;
  /**
   * Keep at most `abs(limit)` frames of each stack: the innermost when
   * positive, the outermost when negative; 0 keeps none.
   */
  limit?: number | null;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

function idOf(future: Future<unknown>): number {
  let id = ids.get(future);
  if (id === undefined) ids.set(future, id = nextId++);
  return id;
}

const FRAME = /^\s*at (async )?(?:(.+?) \((.*?):(\d+):(\d+)\)|(.*?):(\d+):(\d+))$/;
// The frames of this library's own await machinery and of this module,
// which stand above the awaiting code.
const INTERNAL_FILES = new Set(
  ["./futures.ts", "./tasks.ts", "./graph.ts"].map((f) => new URL(f, import.meta.url).href),
);

function parseStack(stack: string | null | undefined, skip: number): FrameCallGraphEntry[] {
  if (!stack) return [];
  const frames: FrameCallGraphEntry[] = [];
  for (const raw of stack.split("\n").slice(1)) {
    const m = FRAME.exec(raw);
    if (m === null) continue;
    const file = m[3] ?? m[6] ?? "";
    if (file.startsWith("ext:") || INTERNAL_FILES.has(file)) continue;
    frames.push({
      name: m[2] ?? "<anonymous>",
      file,
      line: Number(m[4] ?? m[7] ?? 0),
      column: Number(m[5] ?? m[8] ?? 0),
      async: m[1] !== undefined,
    });
  }
  return frames.slice(skip);
}

function limited(frames: FrameCallGraphEntry[], limit: number | null | undefined) {
  if (limit === undefined || limit === null) return frames;
  if (limit === 0) return [];
  return limit > 0 ? frames.slice(0, limit) : frames.slice(limit);
}

/** The futures and tasks waiting on `future`. */
function awaitersOf(future: Future<unknown>): Future<unknown>[] {
  const awaiters = new Set<Future<unknown>>(future._awaitedBy ?? []);
  for (const task of future.getLoop()._tasks) {
    if (task.done() || task === future) continue;
    if (task._waiter === future || task._moreWaiters?.has(future)) awaiters.add(task);
  }
  // A future waited on through a gather or shield is awaited by the tasks
  // awaiting that outer future, which the recursion reaches.
  return [...awaiters].filter((f) => !f.done());
}

function capture(
  future: Future<unknown>,
  stack: FrameCallGraphEntry[],
  limit: number | null | undefined,
  seen: Set<Future<unknown>>,
): FutureCallGraph {
  seen.add(future);
  const awaitedBy = awaitersOf(future).filter((f) => !seen.has(f)).map((f) =>
    capture(f, f instanceof Task ? parseStack(f._suspendedAt, 0) : [], limit, seen)
  );
  return { future, callStack: limited(stack, limit), awaitedBy };
}

/**
 * The call graph of `future`, or of the current task when none is given
 * (`null` outside a task): where it is suspended and, recursively, what
 * waits on it.
 *
 * @example
 * ```ts
 * import { captureCallGraph, createTask, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const child = createTask(() => sleep(1), { name: "child" });
 *   await sleep(0);
 *   const graph = captureCallGraph(child)!;
 *   console.log(graph.awaitedBy.length); // 0: nobody awaits the child yet
 *   child.cancel();
 * });
 * ```
 */
export function captureCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): FutureCallGraph | null {
  const { depth = 1, limit } = options;
  if (future === undefined || future === null) {
    const task = currentTask();
    if (task === null) return null;
    return capture(task, parseStack(new Error().stack, Math.max(0, depth - 1)), limit, new Set());
  }
  if (!(future instanceof Future)) throw new TypeError(`${future} object is not a Future`);
  const stack = future === currentTask()
    ? parseStack(new Error().stack, Math.max(0, depth - 1))
    : future instanceof Task
    ? parseStack(future._suspendedAt, 0)
    : [];
  return capture(future, stack, limit, new Set());
}

function render(graph: FutureCallGraph, lines: string[], level: number): void {
  const indent = "    ".repeat(level);
  const { future } = graph;
  lines.push(
    future instanceof Task
      ? `${indent}* Task(name=${JSON.stringify(future.getName())}, id=#${idOf(future)})`
      : `${indent}* Future(id=#${idOf(future)})`,
  );
  if (graph.callStack.length > 0) {
    lines.push(`${indent}  + Call stack:`);
    for (const frame of graph.callStack) {
      const where = frame.file ? `File ${JSON.stringify(frame.file)}, line ${frame.line}, in ` : "";
      lines.push(`${indent}  |   ${where}${frame.async ? "async " : ""}${frame.name}()`);
    }
  }
  if (graph.awaitedBy.length > 0) {
    lines.push(`${indent}  + Awaited by:`);
    for (const awaiter of graph.awaitedBy) render(awaiter, lines, level + 1);
  }
}

/**
 * The call graph of `future` (or the current task) as text, in Python's
 * format; `""` outside a task.
 *
 * @example
 * ```ts
 * import { formatCallGraph, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   console.log(formatCallGraph().startsWith("* Task(name=")); // true
 * });
 * ```
 */
export function formatCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): string {
  const graph = captureCallGraph(future, options);
  if (graph === null) return "";
  const lines: string[] = [];
  render(graph, lines, 0);
  return lines.join("\n");
}

/**
 * Prints `formatCallGraph(future, options)` with `console.log`.
 *
 * @example
 * ```ts
 * import { printCallGraph, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   printCallGraph(); // * Task(name="Task-1", id=#1) ...
 * });
 * ```
 */
export function printCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): void {
  console.log(formatCallGraph(future, options));
}

/**
 * The call graphs of every pending task of `loop` (the running loop by
 * default), as text: what a hung program is waiting on. Turn debug mode on
 * to see where each task is suspended; a signal can ask for the dump:
 * `loop.addSignalHandler("SIGUSR1", () => console.log(formatAllCallGraphs()))`.
 *
 * @example
 * ```ts
 * import { createTask, formatAllCallGraphs, run, sleep } from "@asyncio/asyncio";
 * await run(async () => {
 *   const sleeper = createTask(() => sleep(10), { name: "sleeper" });
 *   await sleep(0);
 *   console.log(formatAllCallGraphs().includes('name="sleeper"')); // true
 *   sleeper.cancel();
 * }, { debug: true });
 * ```
 */
export function formatAllCallGraphs(loop?: EventLoop): string {
  const target = loop ?? getRunningLoop();
  const current = currentTask(target);
  const graphs: string[] = [];
  for (const task of target._tasks) {
    if (task.done()) continue;
    const lines: string[] = [];
    const stack = task === current
      ? parseStack(new Error().stack, 0)
      : parseStack(task._suspendedAt, 0);
    render({ future: task, callStack: stack, awaitedBy: [] }, lines, 0);
    const awaiting = task._waiter;
    if (awaiting !== null) lines.push(`  + Awaiting: ${awaiting}`);
    graphs.push(lines.join("\n"));
  }
  return graphs.join("\n\n");
}
