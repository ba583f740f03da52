// What runs inside an executor's Worker or child process: it compiles the
// functions it is sent (or imports their module), calls them and describes
// their outcome. The main side of the wire is loop/_worker_pool.ts. This
// module imports nothing, so that a Worker or a `deno` child loads only it.

/** How a message names the function to call. */
export interface FunctionRef {
  /** A number the main side gives each source or module function (0: not cached). */
  fn: number;
  /** The function's source text, sent the first time a worker sees `fn`. */
  src?: string;
  /** The module URL of a `{ module, name }` function (first time only). */
  module?: string;
  /** The export to call. */
  name?: string;
}

/** A call, from the main side. */
export interface CallRequest extends FunctionRef {
  /** "call", or "init" for the pool's initializer. */
  t: "call" | "init";
  /** The job's number; the response carries it back. */
  id: number;
  /** The arguments, already unwrapped from `transfer()`. */
  args: unknown[];
}

/** An error as it crosses the wire: enough to rebuild it on the main side. */
export interface WireError {
  /** "error": an Error; "dom": a DOMException; "value": something else thrown. */
  kind: "error" | "dom" | "value";
  name?: string;
  message?: string;
  stack?: string;
  /** The error's `cause`, described the same way. */
  cause?: WireError;
  /** An AggregateError's errors. */
  errors?: WireError[];
  /** Other own properties (`code`, `errno`, ...) that can be cloned. */
  props?: Record<string, unknown>;
  /** A thrown non-error value. */
  value?: unknown;
}

/** A response to one request. */
export type CallResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WireError };

const TRANSFER_BRAND = Symbol.for("@asyncio/asyncio.transfer");

/** @internal What `transfer()` returns: a value and what to move with it. */
export interface TransferMarker {
  [TRANSFER_BRAND]: true;
  value: unknown;
  list: Transferable[];
}

function defaultTransferList(value: unknown): Transferable[] {
  if (value instanceof ArrayBuffer) return [value];
  if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) return [value.buffer];
  if (value instanceof MessagePort) return [value];
  throw new TypeError(
    "transfer(value): value is not an ArrayBuffer, a typed array or a MessagePort; " +
      "give the list of what to transfer: transfer(value, [buffer, ...])",
  );
}

/**
 * Marks an argument of `submit`/`runInExecutor`/`toThread`, or the value a
 * worker function returns, to be **transferred** to the other side rather
 * than copied: the `ArrayBuffer`s in `transferList` (by default `value`
 * itself, or a typed array's buffer) move without a copy and become
 * detached (length 0) on the sending side. Without `transfer`, everything
 * is copied by structured clone.
 *
 * Use it only there: as a whole argument, or as the return value of the
 * function. Its type is `value`'s type so that the call type-checks; the
 * function receives `value` itself. Inside a self-contained function,
 * `transfer` is the one outside name the Worker provides (write it as the
 * bare name `transfer`). A `ProcessPoolExecutor` copies anyway: there is
 * no memory to share between processes.
 *
 * @example
 * ```ts
 * import { transfer, WorkerPoolExecutor } from "@asyncio/asyncio";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const input = new Uint8Array(1024).fill(1);
 * const output = await pool.submit((bytes: Uint8Array) => {
 *   for (let i = 0; i < bytes.length; i++) bytes[i] *= 2;
 *   return transfer(bytes); // back without a copy
 * }, transfer(input));
 * console.log(input.length, output[0], output.length); // 0 2 1024
 * ```
 */
export function transfer<T>(value: T, transferList?: Transferable[]): T {
  const list = transferList ?? defaultTransferList(value);
  if (!Array.isArray(list)) {
    throw new TypeError("transfer(value, transferList): a list is expected");
  }
  const marker: TransferMarker = { [TRANSFER_BRAND]: true, value, list };
  return marker as unknown as T;
}

/** @internal Whether `value` was made by `transfer()` (of any copy of this module). */
export function isTransferMarker(value: unknown): value is TransferMarker {
  return typeof value === "object" && value !== null &&
    (value as Record<symbol, unknown>)[TRANSFER_BRAND] === true;
}

/** @internal Splits a value into what to post and what to transfer. */
export function unwrapTransfer(value: unknown): [unknown, Transferable[] | undefined] {
  if (isTransferMarker(value)) return [value.value, value.list];
  return [value, undefined];
}

// ---- errors ----------------------------------------------------------------

const SKIPPED_PROPS = new Set(["name", "message", "stack", "cause", "errors", "exceptions"]);

function isCloneable(value: unknown): boolean {
  const type = typeof value;
  if (value === null || type !== "object") return type !== "function" && type !== "symbol";
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** Describes a thrown value for the main side (depth-limited for causes). */
export function describeError(error: unknown, depth = 0): WireError {
  if (error instanceof DOMException) {
    return { kind: "dom", name: error.name, message: error.message, stack: trimStack(error.stack) };
  }
  if (error instanceof Error || isErrorLike(error)) {
    const e = error as Error & { errors?: unknown };
    const wire: WireError = {
      kind: "error",
      name: String(e.name),
      message: String(e.message),
      stack: typeof e.stack === "string" ? trimStack(e.stack) : undefined,
    };
    if (depth < 8 && "cause" in e && e.cause !== undefined) {
      wire.cause = describeError(e.cause, depth + 1);
    }
    if (depth < 8 && Array.isArray(e.errors)) {
      wire.errors = e.errors.map((inner) => describeError(inner, depth + 1));
    }
    let props: Record<string, unknown> | undefined;
    for (const key of Object.keys(e)) {
      if (SKIPPED_PROPS.has(key)) continue;
      const v = (e as unknown as Record<string, unknown>)[key];
      // A property that cannot be cloned must not lose the error: it is left out.
      if (isCloneable(v)) (props ??= {})[key] = v;
    }
    if (props !== undefined) wire.props = props;
    return wire;
  }
  return { kind: "value", value: error };
}

function isErrorLike(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    typeof (value as Error).message === "string" && typeof (value as Error).name === "string" &&
    typeof (value as Error).stack === "string";
}

// ---- the worker side -------------------------------------------------------

// Measured on Deno 2.9.6: an `import()` of a file the Worker may not read
// rejects with a TypeError. Told apart by asking for the permission (this
// module imports nothing, so that a Worker needs to read no more files).
function moduleAccess(error: unknown, module: string): unknown {
  if (!module.startsWith("file:")) return error;
  const path = decodeURIComponent(new URL(module).pathname);
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state === "granted") return error;
  } catch {
    return error;
  }
  const value = /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
  return new Deno.errors.NotCapable(
    `Requires read access to ${JSON.stringify(path)} (the module of an executor function): ` +
      `run again with --allow-read=${value}`,
    { cause: error },
  );
}

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => unknown;

// Where the frames of this module begin in a stack: what follows is the
// runtime's own machinery, not the caller's concern.
const RUNTIME_URL = import.meta.url;

function trimStack(stack: string | undefined): string | undefined {
  if (stack === undefined) return undefined;
  const lines = stack.split("\n");
  const at = lines.findIndex((line, i) => i > 0 && line.includes(RUNTIME_URL));
  return at === -1 ? stack : lines.slice(0, at).join("\n");
}

// An indirect eval runs in the global scope: the function sees the
// Worker's globals and `transfer`, nothing of the module it was written
// in; its first line is line 1 of the script, as in its own file.
const globalEval = eval;
const SOURCE_URL = "\n//# sourceURL=executor-function.js";

// Compiles a function's source.
function compile(src: string): AnyFunction {
  let value: unknown;
  try {
    value = globalEval(`"use strict";(transfer) => (${src}\n);${SOURCE_URL}`)(transfer);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // A method's source (`name(x) { ... }`, `async *gen() {}`) is not an
    // expression; inside an object literal it is.
    try {
      const holder = globalEval(`"use strict";(transfer) => ({ ${src}\n });${SOURCE_URL}`)(
        transfer,
      ) as Record<PropertyKey, unknown>;
      const keys = Reflect.ownKeys(holder);
      value = keys.length === 1 ? holder[keys[0]] : undefined;
    } catch {
      throw error;
    }
  }
  if (typeof value !== "function") {
    throw new TypeError(`the source sent to the executor is not a function: ${src.slice(0, 80)}`);
  }
  return value as AnyFunction;
}

/** Resolves module specifiers the way the main side sent them, then calls. */
export class WorkerRuntime {
  #functions = new Map<number, AnyFunction>();
  #broken: WireError | null = null;

  /**
   * Handles one request and hands the response (and what to transfer with
   * it) to `reply`, synchronously when the function is synchronous.
   */
  handle(
    request: CallRequest,
    reply: (response: CallResponse, transferList: Transferable[] | undefined) => void,
  ): void | Promise<void> {
    const id = request.id;
    const fail = (error: unknown) => {
      const wire = describeError(error);
      if (request.t === "init") this.#broken = wire;
      reply({ id, ok: false, error: wire }, undefined);
    };
    if (this.#broken !== null) {
      reply({ id, ok: false, error: this.#broken }, undefined);
      return;
    }
    let result: unknown;
    try {
      const fn = this.#functions.get(request.fn) ?? this.#resolve(request);
      if (fn instanceof Promise) {
        return fn.then((f) => this.#call(f, request, reply), fail);
      }
      result = fn.apply(undefined, request.args);
    } catch (error) {
      fail(error);
      return;
    }
    if (typeof (result as PromiseLike<unknown>)?.then === "function") {
      return Promise.resolve(result).then((value) => this.#respond(id, value, reply), fail);
    }
    this.#respond(id, result, reply);
  }

  async #call(
    fn: AnyFunction,
    request: CallRequest,
    reply: (response: CallResponse, transferList: Transferable[] | undefined) => void,
  ): Promise<void> {
    let value: unknown;
    try {
      value = await fn.apply(undefined, request.args);
    } catch (error) {
      const wire = describeError(error);
      if (request.t === "init") this.#broken = wire;
      reply({ id: request.id, ok: false, error: wire }, undefined);
      return;
    }
    this.#respond(request.id, value, reply);
  }

  #respond(
    id: number,
    result: unknown,
    reply: (response: CallResponse, transferList: Transferable[] | undefined) => void,
  ): void {
    const [value, list] = unwrapTransfer(result);
    try {
      reply({ id, ok: true, value }, list);
    } catch (error) {
      // The result cannot be cloned (a function, a class instance with
      // private state, ...): the caller gets the DataCloneError.
      reply({ id, ok: false, error: describeError(error) }, undefined);
    }
  }

  #resolve(request: CallRequest): AnyFunction | Promise<AnyFunction> {
    if (request.src !== undefined) {
      const fn = compile(request.src);
      if (request.fn !== 0) this.#functions.set(request.fn, fn);
      return fn;
    }
    if (request.module !== undefined && request.name !== undefined) {
      const { module, name } = request;
      return import(module).then((namespace: Record<string, unknown>) => {
        const fn = namespace[name];
        if (typeof fn !== "function") {
          throw new TypeError(`module ${module} has no function export named "${name}"`);
        }
        if (request.fn !== 0) this.#functions.set(request.fn, fn as AnyFunction);
        return fn as AnyFunction;
      }, (error) => {
        throw moduleAccess(error, module);
      });
    }
    throw new RangeError(`executor worker: unknown function #${request.fn}`);
  }
}
