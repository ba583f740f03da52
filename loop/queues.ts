/**
 * Queues for producer and consumer tasks, as asyncio's `queues` module:
 * `Queue` (first in, first out), `PriorityQueue` (lowest first) and
 * `LifoQueue` (last in, first out), with `join()`/`taskDone()` and Python
 * 3.13's `shutdown()`.
 *
 * @module
 */
import { QueueEmpty, QueueFull, QueueShutDown, RuntimeError } from "./exceptions.ts";
import type { EventLoop } from "./event_loop.ts";
import type { Future } from "./futures.ts";
import { Event } from "./locks.ts";
import { getRunningLoop } from "./_running.ts";

// How a queue keeps its items; each kind of queue has its own.
interface ItemStore<T> {
  readonly length: number;
  push(item: T): void;
  take(): T;
  clear(): void;
}

const MIN_CAPACITY = 16;

// A double-ended queue on a ring buffer whose capacity is a power of two:
// O(1) at both ends, so a FIFO of millions of items never shifts an array.
class Deque<T> implements ItemStore<T> {
  #buffer: (T | undefined)[] = [];
  #mask = -1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#buffer[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  take(): T {
    const buffer = this.#buffer;
    const item = buffer[this.#head] as T;
    buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Removes the first occurrence of `item`; whether there was one. */
  remove(item: T): boolean {
    const buffer = this.#buffer;
    const mask = this.#mask;
    const length = this.#length;
    let i = 0;
    while (i < length && buffer[(this.#head + i) & mask] !== item) i++;
    if (i === length) return false;
    if (i === 0) {
      this.take();
      return true;
    }
    // Close the gap by moving the later items one slot towards the head.
    for (let j = i; j < length - 1; j++) {
      buffer[(this.#head + j) & mask] = buffer[(this.#head + j + 1) & mask];
    }
    buffer[(this.#head + length - 1) & mask] = undefined;
    this.#length--;
    return true;
  }

  clear(): void {
    this.#buffer = [];
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const old = this.#buffer;
    const capacity = Math.max(MIN_CAPACITY, (this.#mask + 1) * 2);
    const buffer = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) buffer[i] = old[(this.#head + i) & this.#mask];
    this.#buffer = buffer;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}

// Last in, first out.
class Stack<T> implements ItemStore<T> {
  #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  take(): T {
    return this.#items.pop() as T;
  }

  clear(): void {
    this.#items = [];
  }
}

// A binary min-heap under `compare`, as Python's `heapq`. Each operation
// makes every comparison before it moves anything, so that a `compare`
// that throws (values with no order) leaves the heap as it was.
class BinaryHeap<T> implements ItemStore<T> {
  #items: T[] = [];
  #compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    const compare = this.#compare;
    const end = items.length;
    // Where the item goes: up from the new leaf past every greater parent.
    let i = end;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compare(item, items[parent]) >= 0) break;
      i = parent;
    }
    items.push(item);
    for (let j = end; j !== i;) {
      const parent = (j - 1) >> 1;
      items[j] = items[parent];
      j = parent;
    }
    items[i] = item;
  }

  take(): T {
    const items = this.#items;
    const top = items[0];
    const size = items.length - 1;
    if (size <= 0) {
      items.length = 0;
      return top;
    }
    const compare = this.#compare;
    const last = items[size];
    // Where the last leaf goes: down from the root past every smaller child.
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && compare(items[child + 1], items[child]) < 0) child++;
      if (compare(items[child], last) >= 0) break;
      i = child;
    }
    items.pop();
    // Move the items on the path from the root to `i` up one level: the
    // path is read from the bits of `i + 1`, top-down.
    const k = i + 1;
    let hole = 0;
    for (let depth = 31 - Math.clz32(k); depth > 0;) {
      depth--;
      const next = (k >> depth) - 1;
      items[hole] = items[next];
      hole = next;
    }
    items[hole] = last;
    return top;
  }

  clear(): void {
    this.#items = [];
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}

// The default order of a PriorityQueue, Python's `<`: numbers and bigints
// by value, strings by code unit, booleans as 0 and 1, and arrays
// lexicographically like Python's tuples, so `[priority, item]` entries
// sort by priority first. Values with no order (or of mixed kinds) throw
// TypeError, as in Python.
function defaultCompare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const order = defaultCompare(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  const ta = typeof a;
  const tb = typeof b;
  const numeric = (t: string) => t === "number" || t === "bigint" || t === "boolean";
  if ((numeric(ta) && numeric(tb)) || (ta === "string" && tb === "string")) {
    const x = ta === "boolean" ? Number(a) : a as number;
    const y = tb === "boolean" ? Number(b) : b as number;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  throw new TypeError(`'<' not supported between ${typeName(a)} and ${typeName(b)}`);
}

// The store a subclass hands to the Queue constructor, just before super().
let storeForNextQueue: ItemStore<unknown> | null = null;

function wakeUpNext(waiters: Deque<Future<void>>): void {
  while (waiters.length > 0) {
    const waiter = waiters.take();
    if (!waiter.done()) {
      waiter.setResult(undefined);
      return;
    }
  }
}

/**
 * A first-in, first-out queue for tasks. With `maxsize > 0`, `put()` waits
 * while the queue holds `maxsize` items; `get()` waits while it is empty.
 * Waiting tasks are served in FIFO order, and a task cancelled while it
 * waits passes its wakeup on, so no item is lost. `join()` waits until
 * `taskDone()` was called for every item put; `shutdown()` ends the queue.
 *
 * @example
 * ```ts
 * import { createTask, Queue, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const queue = new Queue<number>(2);
 *   const seen: number[] = [];
 *   const consumer = createTask(async () => {
 *     for (;;) {
 *       seen.push(await queue.get());
 *       queue.taskDone();
 *     }
 *   });
 *   for (let i = 0; i < 5; i++) await queue.put(i);
 *   await queue.join();
 *   consumer.cancel();
 *   console.log(seen); // [0, 1, 2, 3, 4]
 * });
 * ```
 */
export class Queue<T = unknown> {
  #maxsize: number;
  #store: ItemStore<T>;
  #getters = new Deque<Future<void>>();
  #putters = new Deque<Future<void>>();
  #unfinishedTasks = 0;
  #finished = new Event();
  #isShutdown = false;
  #loop: EventLoop | null = null;

  /**
   * Creates the queue; `maxsize <= 0` (the default) means no limit.
   */
  constructor(maxsize = 0) {
    const store = storeForNextQueue as ItemStore<T> | null;
    storeForNextQueue = null;
    if (typeof maxsize !== "number") {
      throw new TypeError(`maxsize must be a number, got ${typeof maxsize}`);
    }
    if (Number.isNaN(maxsize)) throw new RangeError("maxsize must not be NaN");
    this.#maxsize = maxsize;
    this.#store = store ?? new Deque<T>();
    this.#finished.set();
  }

  /** How many items the queue may hold (0 or less: no limit). */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** How many items are in the queue. */
  qsize(): number {
    return this.#store.length;
  }

  /** Whether the queue has no items. */
  empty(): boolean {
    return this.#store.length === 0;
  }

  /** Whether the queue holds `maxsize` items (never, when `maxsize <= 0`). */
  full(): boolean {
    return this.#maxsize > 0 && this.#store.length >= this.#maxsize;
  }

  /**
   * Puts `item` in the queue, waiting first while it is full. Throws
   * `QueueShutDown` when the queue is shut down (also while waiting).
   */
  async put(item: T): Promise<void> {
    while (this.full()) {
      if (this.#isShutdown) throw new QueueShutDown("the queue is shut down");
      const putter = this.#getLoop().createFuture<void>();
      this.#putters.push(putter);
      try {
        await putter;
      } catch (error) {
        putter.cancel(); // In case the task was cancelled but the putter is pending.
        this.#putters.remove(putter); // A get or shutdown may have taken it out already.
        if (!this.full() && !putter.cancelled()) {
          // A get woke us for a free slot we will not use: pass it on.
          wakeUpNext(this.#putters);
        }
        throw error;
      }
    }
    this.putNowait(item);
  }

  /**
   * Puts `item` in the queue at once. Throws `QueueFull` when it is full and
   * `QueueShutDown` when it is shut down.
   */
  putNowait(item: T): void {
    if (this.#isShutdown) throw new QueueShutDown("the queue is shut down");
    if (this.full()) throw new QueueFull(`the queue is full (maxsize=${this.#maxsize})`);
    this.#store.push(item);
    this.#unfinishedTasks++;
    this.#finished.clear();
    wakeUpNext(this.#getters);
  }

  /**
   * Removes and returns the next item, waiting first while the queue is
   * empty. Throws `QueueShutDown` when the queue is shut down and empty
   * (at once after `shutdown(true)`).
   */
  async get(): Promise<T> {
    while (this.#store.length === 0) {
      if (this.#isShutdown) throw new QueueShutDown("the queue is shut down");
      const getter = this.#getLoop().createFuture<void>();
      this.#getters.push(getter);
      try {
        await getter;
      } catch (error) {
        getter.cancel(); // In case the task was cancelled but the getter is pending.
        this.#getters.remove(getter); // A put or shutdown may have taken it out already.
        if (this.#store.length > 0 && !getter.cancelled()) {
          // A put woke us for an item we will not take: pass it on.
          wakeUpNext(this.#getters);
        }
        throw error;
      }
    }
    return this.getNowait();
  }

  /**
   * Removes and returns the next item at once. Throws `QueueEmpty` when the
   * queue is empty, `QueueShutDown` when it is also shut down.
   */
  getNowait(): T {
    if (this.#store.length === 0) {
      if (this.#isShutdown) throw new QueueShutDown("the queue is shut down");
      throw new QueueEmpty("the queue is empty");
    }
    const item = this.#store.take();
    wakeUpNext(this.#putters);
    return item;
  }

  /**
   * Tells the queue that an item taken with `get()` has been processed;
   * when every item put has been, `join()` returns. Throws `RangeError`
   * (Python's `ValueError`) when called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinishedTasks <= 0) throw new RangeError("taskDone() called too many times");
    this.#unfinishedTasks--;
    if (this.#unfinishedTasks === 0) this.#finished.set();
  }

  /** Waits until every item put in the queue has been got and marked with `taskDone()`. */
  async join(): Promise<void> {
    if (this.#unfinishedTasks > 0) await this.#finished.wait();
  }

  /**
   * Shuts the queue down (Python 3.13): `put` and `putNowait` throw
   * `QueueShutDown` from now on, and `get` once the queue is empty. Tasks
   * waiting in `put()` or `get()` wake up to throw it. With `immediate`, the
   * items left are dropped and counted as done, which may release `join()`,
   * and `get` throws at once.
   */
  shutdown(immediate = false): void {
    this.#isShutdown = true;
    if (immediate) {
      const store = this.#store;
      this.#unfinishedTasks = Math.max(0, this.#unfinishedTasks - store.length);
      store.clear();
      if (this.#unfinishedTasks === 0) this.#finished.set();
    }
    // Every waiter re-checks the queue and throws QueueShutDown if need be.
    for (const waiters of [this.#getters, this.#putters]) {
      while (waiters.length > 0) {
        const waiter = waiters.take();
        if (!waiter.done()) waiter.setResult(undefined);
      }
    }
  }

  /** A description such as `<Queue maxsize=0 qsize=2 getters[1] tasks=2>`. */
  toString(): string {
    let text = `<${this.constructor.name} maxsize=${this.#maxsize} qsize=${this.#store.length}`;
    if (this.#getters.length > 0) text += ` getters[${this.#getters.length}]`;
    if (this.#putters.length > 0) text += ` putters[${this.#putters.length}]`;
    if (this.#unfinishedTasks > 0) text += ` tasks=${this.#unfinishedTasks}`;
    if (this.#isShutdown) text += " shutdown";
    return `${text}>`;
  }

  /** Shown by `console.log` and Deno's inspector. */
  [Symbol.for("Deno.customInspect")](): string {
    return this.toString();
  }

  // Python's `_LoopBoundMixin`: bound to the running loop on first wait.
  #getLoop(): EventLoop {
    const loop = getRunningLoop();
    if (this.#loop === null) {
      this.#loop = loop;
    } else if (this.#loop !== loop) {
      throw new RuntimeError(`${this} is bound to a different event loop`);
    }
    return loop;
  }
}

/** Options of the `PriorityQueue` constructor. */
export interface PriorityQueueOptions<T> {
  /**
   * The order: negative when `a` comes before `b`, positive after, 0 when
   * equal (as for `Array.prototype.sort`). By default, Python's order:
   * numbers, bigints and booleans by value, strings by code unit, arrays
   * lexicographically like tuples; other values throw `TypeError`.
   */
  compare?: (a: T, b: T) => number;
}

/**
 * A `Queue` that gives the lowest item first, as a binary heap. Entries are
 * typically `[priority, data]` arrays, ordered like Python's tuples
 * (by priority, then by data); give `compare` for another order, or for
 * data that has no order of its own.
 *
 * @example
 * ```ts
 * import { PriorityQueue, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const queue = new PriorityQueue<[number, string]>();
 *   await queue.put([3, "low"]);
 *   await queue.put([1, "high"]);
 *   await queue.put([2, "middle"]);
 *   console.log((await queue.get())[1]); // "high"
 *
 *   const byLength = new PriorityQueue<string>(0, { compare: (a, b) => a.length - b.length });
 *   byLength.putNowait("three");
 *   byLength.putNowait("one");
 *   console.log(byLength.getNowait()); // "one"
 * });
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /** Creates the queue; `maxsize <= 0` (the default) means no limit. */
  constructor(maxsize = 0, options: PriorityQueueOptions<T> = {}) {
    const compare = options.compare ?? defaultCompare;
    if (typeof compare !== "function") throw new TypeError("compare must be a function");
    storeForNextQueue = new BinaryHeap<T>(compare) as ItemStore<unknown>;
    super(maxsize);
  }
}

/**
 * A `Queue` that gives the most recently added item first.
 *
 * @example
 * ```ts
 * import { LifoQueue, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const stack = new LifoQueue<number>();
 *   for (const n of [1, 2, 3]) await stack.put(n);
 *   console.log(await stack.get(), await stack.get(), await stack.get()); // 3 2 1
 * });
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** Creates the queue; `maxsize <= 0` (the default) means no limit. */
  constructor(maxsize = 0) {
    storeForNextQueue = new Stack<T>() as ItemStore<unknown>;
    super(maxsize);
  }
}
