// The machinery under WorkerPoolExecutor and ProcessPoolExecutor: a queue
// of jobs, up to `maxWorkers` workers started on demand and reused, and the
// two kinds of worker (a node:worker_threads Worker, a `deno` child
// process). The worker side is loop/_worker_runtime.ts.
//
// Measured on Deno 2.9.6: Deno's own `Worker` keeps the process alive for
// as long as it exists (even with no listener) and has no `unref()`; a
// `node:worker_threads` Worker does have `ref()`/`unref()`, so a worker is
// ref'd while it runs a call and unref'd while idle: an idle pool never
// keeps the process alive and needs no idle timer. A `Deno.ChildProcess`
// has `ref()`/`unref()` too, and unref covers reads pending on its stdout.
import { Worker as NodeWorker } from "node:worker_threads";
import { deserialize, serialize } from "node:v8";
import {
  BrokenBarrierError,
  CancelledError,
  ExceptionGroup,
  IncompleteReadError,
  InvalidStateError,
  KeyboardInterrupt,
  LimitOverrunError,
  NotImplementedError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  SendfileNotAvailableError,
  TimeoutError,
} from "./exceptions.ts";
import type { CallRequest, CallResponse, WireError } from "./_worker_runtime.ts";
import { unwrapTransfer } from "./_worker_runtime.ts";
import type { ExecutorFunction } from "./executors.ts";
import {
  absolutePath,
  allowFlag,
  ensurePermission,
  notCapable,
  runAccess,
} from "./_permissions.ts";

/**
 * Python's `concurrent.futures.BrokenExecutor` (a `RuntimeError`): a worker
 * died while running a call (an uncaught error in a timer it left, a
 * crashed or killed process, `terminateWorkers()`), or the pool's
 * `initializer` failed, after which the pool refuses every call. `cause`
 * holds what the worker reported, when it reported something.
 *
 * @example
 * ```ts
 * import { BrokenExecutor, WorkerPoolExecutor } from "@asyncio/asyncio";
 * const pool = new WorkerPoolExecutor({
 *   maxWorkers: 1,
 *   initializer: () => {
 *     throw new Error("no database");
 *   },
 * });
 * try {
 *   await pool.submit(() => 1);
 * } catch (e) {
 *   console.log(e instanceof BrokenExecutor, (e as Error).cause); // true Error: no database ...
 * }
 * await pool.shutdown();
 * ```
 */
export class BrokenExecutor extends RuntimeError {
  /** Creates the error with a message (and `{ cause }`). */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
BrokenExecutor.prototype.name = "BrokenExecutor";

// ---- errors from the wire ------------------------------------------------------

type AnyErrorClass = { prototype: Error };

const ERROR_CLASSES: Record<string, AnyErrorClass> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
  AggregateError,
  RuntimeError,
  NotImplementedError,
  CancelledError,
  InvalidStateError,
  TimeoutError,
  IncompleteReadError,
  LimitOverrunError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  SendfileNotAvailableError,
  BrokenBarrierError,
  KeyboardInterrupt,
  ExceptionGroup,
  BrokenExecutor,
};

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
}

/**
 * Rebuilds an error a worker threw: the same `name`, `message` and the
 * worker's `stack`; the class of that name when it is a built-in error, one
 * of this library's or of `Deno.errors` (no constructor runs), else `Error`
 * with that `name`.
 */
export function reviveError(wire: WireError): unknown {
  if (wire.kind === "value") return wire.value;
  const name = wire.name ?? "Error";
  const message = wire.message ?? "";
  let error: Error;
  if (wire.kind === "dom") {
    error = new DOMException(message, name);
  } else {
    const cls = Object.hasOwn(ERROR_CLASSES, name)
      ? ERROR_CLASSES[name]
      : (Deno.errors as unknown as Record<string, AnyErrorClass>)[name];
    error = new Error(message);
    if (typeof cls?.prototype === "object" && cls.prototype instanceof Error) {
      Object.setPrototypeOf(error, cls.prototype);
    }
    if (error.name !== name) define(error, "name", name);
    if (wire.cause !== undefined) define(error, "cause", reviveError(wire.cause));
    if (wire.errors !== undefined) {
      const errors = wire.errors.map(reviveError);
      define(error, "errors", errors);
      if (error instanceof ExceptionGroup) define(error, "exceptions", errors);
    }
    if (wire.props !== undefined) Object.assign(error, wire.props);
  }
  define(error, "stack", wire.stack ?? `${name}: ${message}`);
  return error;
}

// ---- functions -----------------------------------------------------------------

/** How a job names its function: a number cached by workers, and the source or module. */
export interface FunctionEntry {
  id: number;
  src?: string;
  module?: string;
  name?: string;
}

// Sources and module functions get a number, so that a worker compiles or
// imports each once. Bounded, in case a program makes functions from
// strings: past the bound a function is sent (and compiled) every time.
const MAX_CACHED_FUNCTIONS = 4096;
const functionIds = new Map<string, number>();
const entries = new WeakMap<object, FunctionEntry>();
let nextFunctionId = 1;

function idFor(key: string): number {
  let id = functionIds.get(key);
  if (id === undefined && functionIds.size < MAX_CACHED_FUNCTIONS) {
    id = nextFunctionId++;
    functionIds.set(key, id);
  }
  return id ?? 0;
}

function resolveModule(module: URL | string): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") {
    throw new TypeError("{ module, name }: module must be a URL or a non-empty string");
  }
  // A path is resolved against the current directory, as `deno run` does;
  // a URL (file:, https:, jsr:, npm:, data:) or a bare specifier of the
  // import map is passed as it is.
  if (module.startsWith("./") || module.startsWith("../") || module.startsWith("/")) {
    const cwd = Deno.cwd().replaceAll("\\", "/");
    return new URL(module, `file://${cwd.startsWith("/") ? "" : "/"}${cwd}/`).href;
  }
  return module;
}

/** Checks `func` and gives its entry; throws `TypeError` at the call for bad input. */
export function functionEntry(func: ExecutorFunction): FunctionEntry {
  if (typeof func === "function") {
    let entry = entries.get(func);
    if (entry === undefined) {
      const src = Function.prototype.toString.call(func);
      if (src.endsWith("{ [native code] }")) {
        throw new TypeError(
          `${func.name || "the function"} is a native or bound function: its source cannot be ` +
            "sent to a worker; pass a self-contained function or { module, name }",
        );
      }
      entry = { id: idFor(src), src };
      entries.set(func, entry);
    }
    return entry;
  }
  if (typeof func === "object" && func !== null && "module" in func && "name" in func) {
    let entry = entries.get(func);
    if (entry === undefined) {
      if (typeof func.name !== "string" || func.name === "") {
        throw new TypeError("{ module, name }: name must be the name of an exported function");
      }
      const module = resolveModule(func.module);
      entry = { id: idFor(`${module}\n${func.name}`), module, name: func.name };
      entries.set(func, entry);
    }
    return entry;
  }
  throw new TypeError(
    `an executor runs a function or { module, name }, got ${func === null ? "null" : typeof func}`,
  );
}

// ---- jobs --------------------------------------------------------------------------

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;

/** How a job reports its outcome, once: `ok` with the value, or the error. */
export type Settle = (ok: boolean, value: unknown) => void;

/** One call: queued, then running on a worker, then done. */
export class Job {
  state = QUEUED;
  args: unknown[] | null;
  transferList: Transferable[] | undefined;

  constructor(
    readonly id: number,
    readonly entry: FunctionEntry,
    args: unknown[],
    readonly settle: Settle,
    readonly onCancel: () => void,
  ) {
    let list: Transferable[] | undefined;
    let unwrapped: unknown[] | null = null;
    for (let i = 0; i < args.length; i++) {
      const [value, transferables] = unwrapTransfer(args[i]);
      if (transferables === undefined) continue;
      unwrapped ??= args.slice();
      unwrapped[i] = value;
      list = list === undefined ? [...transferables] : list.concat(transferables);
    }
    this.args = unwrapped ?? args;
    this.transferList = list;
  }

  /**
   * Cancels the job if it has not started (Python's `Future.cancel()` of
   * `concurrent.futures`): it settles with `CancelledError` and returns
   * `true`. A running job runs to its end; `false`.
   */
  cancel(): boolean {
    if (this.state !== QUEUED) return false;
    this.state = DONE;
    this.args = null;
    this.onCancel();
    this.settle(false, new CancelledError());
    return true;
  }

  finish(ok: boolean, value: unknown): void {
    if (this.state === DONE) return;
    this.state = DONE;
    this.args = null;
    this.settle(ok, value);
  }
}

// ---- workers -----------------------------------------------------------------------

/** What a worker tells its pool. */
export interface SlotEvents {
  response(slot: Slot, response: CallResponse): void;
  exit(slot: Slot, reason: unknown): void;
}

/** One worker: a Worker thread or a child process. */
export abstract class Slot {
  /** The job it runs. */
  job: Job | null = null;
  /** The function numbers it has compiled or imported. */
  readonly known: Set<number> = new Set();
  /** How many calls it finished. */
  tasks = 0;
  /** Whether it was told to stop (it no longer counts towards `maxWorkers`). */
  closing = false;
  #refd = true;

  constructor(protected readonly events: SlotEvents) {}

  /** Posts a request; throws (a DataCloneError) when it cannot be sent. */
  abstract post(request: CallRequest, transferList: Transferable[] | undefined): void;
  /** Stops once idle: a Worker is terminated, a process's stdin closed. */
  abstract close(): void;
  /** Stops now. */
  abstract terminate(signal?: Deno.Signal): void;
  protected abstract setRef(refd: boolean): void;

  /** Keeps the process alive while the worker runs a call. */
  ref(): void {
    if (!this.#refd) {
      this.#refd = true;
      this.setRef(true);
    }
  }

  /** Lets the process exit while the worker is idle. */
  unref(): void {
    if (this.#refd) {
      this.#refd = false;
      this.setRef(false);
    }
  }
}

// Measured on Deno 2.9.6: a node:worker_threads Worker accepts only file:
// and data: URLs, so a library loaded over https (JSR) starts its Workers
// from a data: module that imports the entry point.
function threadEntry(): URL {
  const url = new URL("./_worker_thread.ts", import.meta.url);
  if (url.protocol === "file:") return url;
  return new URL(
    `data:text/javascript,${encodeURIComponent(`import ${JSON.stringify(url.href)};`)}`,
  );
}

// A Worker reads its modules from disk with the parent's read permission
// (the main program's own imports need none): without it, the Worker would
// die on its first import. Asked here, so that the error names the flag.
function checkThreadEntry(entry: URL): void {
  for (const url of [entry, new URL("./_worker_runtime.ts", entry)]) {
    const path = absolutePath(url);
    if (!ensurePermission({ name: "read", path })) {
      const directory = absolutePath(new URL(".", entry));
      throw notCapable(
        "read",
        path,
        [allowFlag("read", directory)],
        undefined,
        " (Workers start from this library's own files)",
      );
    }
  }
}

/** A node:worker_threads Worker, with the parent's permissions. */
export class ThreadSlot extends Slot {
  #worker: NodeWorker;
  #error: unknown = undefined;

  constructor(events: SlotEvents) {
    super(events);
    const entry = threadEntry();
    if (entry.protocol === "file:") checkThreadEntry(entry);
    const worker = new NodeWorker(entry);
    this.#worker = worker;
    worker.on("message", (response: CallResponse) => this.events.response(this, response));
    worker.on("error", (error: unknown) => {
      this.#error = error;
    });
    worker.on("exit", (code: number) => {
      this.events.exit(this, this.#error ?? `the Worker exited with code ${code}`);
    });
  }

  post(request: CallRequest, transferList: Transferable[] | undefined): void {
    // deno-lint-ignore no-explicit-any
    this.#worker.postMessage(request, transferList as any);
  }

  close(): void {
    this.terminate();
  }

  terminate(): void {
    Promise.resolve(this.#worker.terminate()).catch(() => {});
  }

  protected setRef(refd: boolean): void {
    if (refd) this.#worker.ref();
    else this.#worker.unref();
  }
}

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;

/**
 * The `--allow-*` flags of the permissions this process holds in full.
 * Deno cannot tell which paths or hosts a partial grant covers, so a
 * partial grant (`--allow-read=/data`) is not passed on: give the flags
 * yourself with `ProcessPoolExecutor({ denoFlags })`.
 */
export function inheritedPermissionFlags(): string[] {
  const flags: string[] = [];
  for (const name of PERMISSIONS) {
    try {
      if (Deno.permissions.querySync({ name }).state === "granted") flags.push(`--allow-${name}`);
    } catch {
      // A permission this Deno does not know.
    }
  }
  return flags;
}

const PROCESS_ENTRY = new URL("./_worker_process.ts", import.meta.url).href;
const MAGIC_LENGTH = 16;

function indexOfMagic(data: Uint8Array, magic: Uint8Array, from: number): number {
  const first = magic[0];
  const last = data.length - magic.length;
  outer: for (
    let i = data.indexOf(first, from);
    i !== -1 && i <= last;
    i = data.indexOf(first, i + 1)
  ) {
    for (let j = 1; j < magic.length; j++) {
      if (data[i + j] !== magic[j]) continue outer;
    }
    return i;
  }
  return -1;
}

// How many bytes at the end of `data` may begin the magic (kept for the next chunk).
function magicPrefixAtEnd(data: Uint8Array, magic: Uint8Array): number {
  for (let n = Math.min(magic.length - 1, data.length); n > 0; n--) {
    let match = true;
    for (let j = 0; j < n; j++) {
      if (data[data.length - n + j] !== magic[j]) {
        match = false;
        break;
      }
    }
    if (match) return n;
  }
  return 0;
}

/** A `deno run` child process speaking frames over its stdin and stdout. */
export class ProcessSlot extends Slot {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #magic: Uint8Array;

  constructor(events: SlotEvents, flags: string[]) {
    super(events);
    const magic = crypto.getRandomValues(new Uint8Array(MAGIC_LENGTH));
    magic[0] = 0;
    this.#magic = magic;
    const hex = Array.from(magic, (b) => b.toString(16).padStart(2, "0")).join("");
    const deno = Deno.execPath();
    try {
      this.#child = new Deno.Command(deno, {
        args: ["run", "--no-prompt", ...flags, PROCESS_ENTRY, hex],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
    } catch (error) {
      throw runAccess(error, deno, " (ProcessPoolExecutor runs its workers as deno processes)");
    }
    this.#writer = this.#child.stdin.getWriter();
    const reading = this.#read().catch(() => {});
    Promise.all([reading, this.#child.status]).then(([, status]) => {
      const how = status.signal !== null ? `signal ${status.signal}` : `exit code ${status.code}`;
      this.events.exit(this, `the worker process ended (${how})`);
    });
  }

  post(request: CallRequest): void {
    let payload: Uint8Array;
    try {
      payload = serialize(request);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DOMException(message, "DataCloneError");
    }
    const frame = new Uint8Array(4 + payload.length);
    new DataView(frame.buffer).setUint32(0, payload.length, true);
    frame.set(payload, 4);
    this.#writer.write(frame).catch(() => {});
  }

  close(): void {
    this.#writer.close().catch(() => {});
  }

  terminate(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
    this.#writer.abort().catch(() => {});
  }

  protected setRef(refd: boolean): void {
    if (refd) this.#child.ref();
    else this.#child.unref();
  }

  // Splits stdout into response frames and the function's own output,
  // which goes on to this process's stdout.
  async #read(): Promise<void> {
    const magic = this.#magic;
    const header = MAGIC_LENGTH + 4;
    let pending: Uint8Array = new Uint8Array(0);
    let body: Uint8Array | null = null;
    let bodyFill = 0;
    const passThrough = async (bytes: Uint8Array) => {
      if (bytes.length === 0) return;
      try {
        let offset = 0;
        while (offset < bytes.length) offset += await Deno.stdout.write(bytes.subarray(offset));
      } catch {
        // Our stdout is closed: the function's output is lost, not the call.
      }
    };
    for await (const chunk of this.#child.stdout) {
      let data: Uint8Array = chunk;
      let offset = 0;
      while (offset < data.length) {
        if (body !== null) {
          const n = Math.min(body.length - bodyFill, data.length - offset);
          body.set(data.subarray(offset, offset + n), bodyFill);
          bodyFill += n;
          offset += n;
          if (bodyFill < body.length) break;
          const response = deserialize(body) as CallResponse;
          body = null;
          this.events.response(this, response);
          continue;
        }
        if (pending.length > 0) {
          const joined = new Uint8Array(pending.length + data.length - offset);
          joined.set(pending, 0);
          joined.set(data.subarray(offset), pending.length);
          data = joined;
          offset = 0;
          pending = new Uint8Array(0);
        }
        const at = indexOfMagic(data, magic, offset);
        if (at === -1) {
          const keep = magicPrefixAtEnd(data.subarray(offset), magic);
          await passThrough(data.subarray(offset, data.length - keep));
          pending = data.slice(data.length - keep);
          break;
        }
        await passThrough(data.subarray(offset, at));
        if (data.length - at < header) {
          pending = data.slice(at);
          break;
        }
        const length = new DataView(data.buffer, data.byteOffset + at + MAGIC_LENGTH, 4)
          .getUint32(0, true);
        body = new Uint8Array(length);
        bodyFill = 0;
        offset = at + header;
        if (length === 0) {
          body = null;
        }
      }
    }
    await passThrough(pending);
  }
}

// ---- the pool ------------------------------------------------------------------------

/** What a pool is made of. */
export interface PoolOptions {
  /** At most this many workers. */
  maxWorkers: number;
  /** "thread" or "process", for messages. */
  kind: string;
  /** Starts a worker. */
  spawn: (events: SlotEvents) => Slot;
  /** Runs first in every worker; its failure breaks the pool. */
  initializer?: { entry: FunctionEntry; args: unknown[] };
  /** A worker that ran this many calls is replaced. */
  maxTasksPerWorker?: number;
}

/** Checks a `maxWorkers` option: an integer from 1. */
export function checkMaxWorkers(value: unknown): number {
  if (value === undefined || value === null) return Math.max(1, navigator.hardwareConcurrency || 1);
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`maxWorkers must be an integer greater than 0, got ${String(value)}`);
  }
  return value;
}

/** The queue and the workers of one executor. */
export class Pool implements SlotEvents {
  readonly maxWorkers: number;
  #options: PoolOptions;
  #queue: (Job | undefined)[] = [];
  #head = 0;
  #queued = 0;
  #idle: Slot[] = [];
  #slots = new Set<Slot>();
  #active = 0;
  #shutdown = false;
  #terminated = false;
  #broken: BrokenExecutor | null = null;
  #finished: { promise: Promise<void>; resolve: () => void } | null = null;
  #nextJobId = 1;

  constructor(options: PoolOptions) {
    this.#options = options;
    this.maxWorkers = options.maxWorkers;
  }

  /** Whether `shutdown` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** How many workers are alive (starting, busy, idle or stopping). */
  get liveWorkers(): number {
    return this.#slots.size;
  }

  /**
   * Queues `func(...args)`; `settle` gets the outcome. Throws
   * `RuntimeError` after shutdown, `BrokenExecutor` when broken and
   * `TypeError` for a bad function.
   */
  submit(func: ExecutorFunction, args: unknown[], settle: Settle): Job {
    if (this.#broken !== null) {
      throw new BrokenExecutor(this.#broken.message, { cause: this.#broken.cause });
    }
    if (this.#shutdown) throw new RuntimeError("cannot schedule new futures after shutdown");
    const job = new Job(this.#nextJobId++, functionEntry(func), args, settle, this.#onCancel);
    this.#queue.push(job);
    this.#queued++;
    this.#pump();
    return job;
  }

  /** Stops taking jobs; with `cancelFutures`, cancels the queued ones; idle workers stop. */
  shutdown(cancelFutures: boolean): void {
    this.#shutdown = true;
    if (cancelFutures) {
      for (let job = this.#takeQueued(); job !== undefined; job = this.#takeQueued()) {
        job.finish(false, new CancelledError());
      }
    }
    for (const slot of this.#idle.splice(0)) this.#close(slot);
    this.#checkFinished();
  }

  /** Settles once the pool is shut down, its jobs done and its workers gone. */
  finished(): Promise<void> {
    if (this.#finished === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => resolve = r);
      this.#finished = { promise, resolve };
      this.#checkFinished();
    }
    return this.#finished.promise;
  }

  /** Shuts down, cancels the queued jobs and stops every worker now. */
  terminate(signal?: Deno.Signal): void {
    this.#terminated = true;
    this.shutdown(true);
    for (const slot of this.#slots) {
      if (!slot.closing) {
        slot.closing = true;
        this.#active--;
      }
      // Ref'd until it is gone, so that waiting for it keeps the process alive.
      slot.ref();
      slot.terminate(signal);
    }
  }

  // ---- SlotEvents ----

  response(slot: Slot, response: CallResponse): void {
    if (response.id === 0) {
      // The initializer's outcome: only a failure matters.
      if (!response.ok) this.#break(reviveError(response.error));
      return;
    }
    const job = slot.job;
    if (job === null || job.id !== response.id) return;
    slot.job = null;
    slot.tasks++;
    if (response.ok) {
      job.finish(true, response.value);
    } else {
      // A failed compile or import is not cached by the worker.
      slot.known.delete(job.entry.id);
      job.finish(false, reviveError(response.error));
    }
    this.#release(slot);
  }

  exit(slot: Slot, reason: unknown): void {
    if (!this.#slots.delete(slot)) return;
    if (!slot.closing) {
      slot.closing = true;
      this.#active--;
    }
    const idle = this.#idle.indexOf(slot);
    if (idle !== -1) this.#idle.splice(idle, 1);
    const job = slot.job;
    if (job !== null) {
      slot.job = null;
      const message = this.#terminated
        ? `the ${this.#options.kind} pool was terminated while the call was running`
        : `a ${this.#options.kind} of the pool ended abruptly while the call was running: ${
          reason instanceof Error ? reason.message : String(reason)
        }`;
      job.finish(false, new BrokenExecutor(message, { cause: reason }));
    }
    this.#pump();
    this.#checkFinished();
  }

  // ---- internals ----

  // A queued job was cancelled: it stays in the queue, skipped when reached.
  #onCancel = (): void => {
    this.#queued--;
    this.#checkFinished();
  };

  #takeQueued(): Job | undefined {
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const job = queue[this.#head];
      queue[this.#head++] = undefined;
      if (this.#head > 1024 && this.#head * 2 > queue.length) {
        queue.splice(0, this.#head);
        this.#head = 0;
      }
      if (job !== undefined && job.state === QUEUED) {
        this.#queued--;
        return job;
      }
    }
    this.#queued = 0;
    return undefined;
  }

  #pump(): void {
    if (this.#broken !== null) return;
    while (this.#queued > 0) {
      let slot = this.#idle.pop();
      if (slot === undefined) {
        if (this.#active >= this.maxWorkers) return;
        try {
          slot = this.#spawn();
        } catch (error) {
          // The worker cannot start (no --allow-run, ...): the call fails.
          this.#takeQueued()?.finish(false, error);
          continue;
        }
      }
      const job = this.#takeQueued();
      if (job === undefined) {
        this.#makeIdle(slot);
        return;
      }
      if (!this.#dispatch(slot, job)) this.#makeIdle(slot);
    }
  }

  #spawn(): Slot {
    const slot = this.#options.spawn(this);
    this.#slots.add(slot);
    this.#active++;
    const init = this.#options.initializer;
    if (init !== undefined) {
      slot.post({
        t: "init",
        id: 0,
        fn: init.entry.id,
        src: init.entry.src,
        module: init.entry.module,
        name: init.entry.name,
        args: init.args,
      }, undefined);
      if (init.entry.id !== 0) slot.known.add(init.entry.id);
    }
    return slot;
  }

  #dispatch(slot: Slot, job: Job): boolean {
    const entry = job.entry;
    const first = entry.id === 0 || !slot.known.has(entry.id);
    const request: CallRequest = { t: "call", id: job.id, fn: entry.id, args: job.args! };
    if (first) {
      if (entry.src !== undefined) request.src = entry.src;
      else {
        request.module = entry.module;
        request.name = entry.name;
      }
    }
    try {
      slot.post(request, job.transferList);
    } catch (error) {
      job.finish(false, error);
      return false;
    }
    if (first && entry.id !== 0) slot.known.add(entry.id);
    job.state = RUNNING;
    job.args = null;
    slot.job = job;
    slot.ref();
    return true;
  }

  // A worker finished a call: next job, or idle, or retired.
  #release(slot: Slot): void {
    if (slot.closing) return;
    const max = this.#options.maxTasksPerWorker;
    if (max !== undefined && slot.tasks >= max) {
      this.#close(slot);
      this.#pump();
      return;
    }
    const job = this.#queued > 0 ? this.#takeQueued() : undefined;
    if (job !== undefined && this.#dispatch(slot, job)) return;
    if (job !== undefined) {
      this.#release(slot);
      return;
    }
    this.#makeIdle(slot);
  }

  #makeIdle(slot: Slot): void {
    if (this.#shutdown) {
      this.#close(slot);
      return;
    }
    slot.unref();
    this.#idle.push(slot);
  }

  #close(slot: Slot): void {
    if (!slot.closing) {
      slot.closing = true;
      this.#active--;
    }
    slot.ref();
    slot.close();
  }

  #break(cause: unknown): void {
    if (this.#broken !== null) return;
    const message = `A ${this.#options.kind} initializer failed, ` +
      `the ${this.#options.kind} pool is not usable anymore`;
    this.#broken = new BrokenExecutor(message, { cause });
    for (let job = this.#takeQueued(); job !== undefined; job = this.#takeQueued()) {
      job.finish(false, new BrokenExecutor(message, { cause }));
    }
    for (const slot of this.#slots) {
      const job = slot.job;
      slot.job = null;
      job?.finish(false, new BrokenExecutor(message, { cause }));
      if (!slot.closing) {
        slot.closing = true;
        this.#active--;
      }
      slot.ref();
      slot.terminate();
    }
    this.#idle.length = 0;
    this.#shutdown = true;
    this.#checkFinished();
  }

  #checkFinished(): void {
    if (this.#finished === null || !this.#shutdown) return;
    if (this.#slots.size === 0 && this.#queued === 0) this.#finished.resolve();
  }
}

/** The pool behind each executor object (so that runInExecutor can cancel queued jobs). */
export const pools: WeakMap<object, Pool> = new WeakMap();
