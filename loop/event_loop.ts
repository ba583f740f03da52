/**
 * The event loop: ready callbacks, timers, tasks, the exception handler and
 * debug mode, as asyncio's `BaseEventLoop`.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { Handle, TimerHandle } from "./handles.ts";
import type { Callback } from "./handles.ts";
import { TimerHeap } from "./_heap.ts";
import { Future } from "./futures.ts";
import { checkCoroutine, ensureFuture, Task } from "./tasks.ts";
import type { Awaitable, Coroutine, TaskOptions } from "./tasks.ts";
import { KeyboardInterrupt, NotImplementedError, RuntimeError } from "./exceptions.ts";
import { outsideTasks, taskContext } from "./_context.ts";
import { getRunningLoopOrNull, setRunningLoop } from "./_running.ts";
import { logger } from "./log.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import type { Transport } from "../transports/transports.ts";
import {
  connectAcceptedSocket,
  type ConnectAcceptedSocketOptions,
  createConnection,
  type CreateConnectionOptions,
  createUnixConnection,
  type CreateUnixConnectionOptions,
} from "../transports/connections.ts";
import {
  createServer,
  type CreateServerOptions,
  createUnixServer,
  type CreateUnixServerOptions,
  type Server,
} from "../transports/server.ts";
import {
  type AddrInfo,
  getaddrinfo,
  type GetaddrinfoOptions,
  getnameinfo,
} from "../transports/dns.ts";
import type { Address, TransportSocket } from "../transports/trsock.ts";
import type { DatagramProtocol, SubprocessProtocol } from "../protocols/protocols.ts";
import type {
  DatagramTransport,
  ReadTransport,
  SubprocessTransport,
  WriteTransport,
} from "../transports/transports.ts";
import {
  connectDuplexPipe,
  connectReadPipe,
  connectWritePipe,
  type DuplexPipe,
  type ReadPipe,
  type WritePipe,
} from "../transports/pipes.ts";
import {
  createDatagramEndpoint,
  type CreateDatagramEndpointOptions,
} from "../transports/datagram.ts";
import * as sockets from "../transports/sockets.ts";
import { sendfile, type SendfileOptions, sockSendfile } from "../transports/sendfile.ts";
import { startTls, type StartTlsOptions } from "../transports/tls.ts";
import {
  subprocessExec,
  type SubprocessOptions,
  subprocessShell,
} from "../subprocess/subprocess_transport.ts";
import { type ExecutorFunction, runInExecutor } from "./executors.ts";
import { SignalHandlers } from "./_signals.ts";

/** The arguments of a scheduled callback. */
// deno-lint-ignore no-explicit-any
export type AnyArgs = any[];

/** What the exception handler receives (Python's context dict). */
export interface ExceptionContext {
  /** What happened. */
  message: string;
  /** The exception, when there is one. */
  exception?: unknown;
  /** The future concerned. */
  future?: Future<unknown>;
  /** The task concerned. */
  task?: Task<unknown>;
  /** The handle whose callback failed. */
  handle?: Handle;
  /** Other details: `protocol`, `transport`, `socket`, ... */
  [key: string]: unknown;
}

/** A custom exception handler: `(loop, context) => void`. */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/** A task factory: builds the task for `loop.createTask(coro, options)`. */
export type TaskFactory = <T>(
  loop: EventLoop,
  coro: Coroutine<T>,
  options: TaskOptions,
) => Task<T>;

/** What the loop needs of an executor (see `setDefaultExecutor`). */
export interface Executor {
  /** Stops the executor; with `wait`, after its work is finished. */
  shutdown(wait?: boolean): unknown;
}

// The loop runs its callbacks in slices: within a slice it hops from one
// iteration to the next through a microtask (about 0.05 µs), then yields a
// macrotask turn with setImmediate (measured here: 0.8 µs a hop) so that
// Deno can complete I/O and its own timers. A chain of microtasks alone
// never lets I/O complete, and nested setTimeout(0) is clamped to ~2 ms.
const SLICE_MS = 1;
// Python's heuristics for dropping cancelled timers from the heap.
const MIN_SCHEDULED_TIMER_HANDLES = 100;
const MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5;
const CLOCK_RESOLUTION = 1e-6;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const NO_ERROR: unique symbol = Symbol("no error");

function checkDelay(value: unknown, what: string): number {
  if (typeof value !== "number") {
    throw new TypeError(`${what} must be a number of seconds, got ${typeof value}`);
  }
  if (Number.isNaN(value)) throw new RangeError(`${what} must not be NaN`);
  return value;
}

function checkCallback(callback: unknown, method: string): void {
  if (typeof callback !== "function") {
    throw new TypeError(`${method}(): a callable object was expected, got ${typeof callback}`);
  }
}

/**
 * An asyncio event loop on Deno. Most programs use `run()` and never touch
 * the loop; low-level code gets it with `getRunningLoop()`.
 *
 * @example
 * ```ts
 * import { newEventLoop } from "@asyncio/asyncio";
 * const loop = newEventLoop();
 * loop.callLater(0.01, () => {
 *   console.log("later");
 *   loop.stop();
 * });
 * loop.callSoon(() => console.log("soon"));
 * await loop.runForever(); // prints "soon" then "later"
 * loop.close();
 * ```
 */
export class EventLoop {
  /**
   * In debug mode, a callback that runs longer than this many seconds is
   * reported through `logger.warning` (0.1 by default, as in asyncio).
   */
  slowCallbackDuration = 0.1;

  /** @internal Every task of this loop that is not done. */
  _tasks: Set<Task<unknown>> = new Set();
  /** @internal */
  _debug = false;

  // The ready queue is two arrays that swap at each iteration, emptied slot
  // by slot so that V8 keeps their storage (`length = 0` frees it).
  #ready: (Handle | undefined)[] = [];
  #readyLen = 0;
  #spare: (Handle | undefined)[] = [];
  #timers = new TimerHeap<TimerHandle>();
  #timerCancelledCount = 0;
  #timerSeq = 0;
  #running = false;
  #stopping = false;
  #closed = false;
  #wakeScheduled = false;
  #sliceStart = 0;
  #timerWakeId: ReturnType<typeof setTimeout> | null = null;
  #timerWakeAt = Infinity;
  #fatal: unknown = NO_ERROR;
  #settleRun: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  #exceptionHandler: ExceptionHandler | null = null;
  #taskFactory: TaskFactory | null = null;
  #defaultExecutor: Executor | null = null;
  #executorShutdownCalled = false;
  #signals = new SignalHandlers((callback, args) => this.callSoon(callback, ...args));

  // ---- running and stopping ------------------------------------------------

  /**
   * Runs the loop until `stop()` is called; the promise settles then.
   * Throws `RuntimeError` when the loop is closed, already running, or
   * another loop runs in this isolate.
   */
  runForever(): Promise<void> {
    this.#checkClosed();
    this.#checkNotRunning();
    this.#running = true;
    setRunningLoop(this);
    this.#signals.setRunning(true);
    return new Promise<void>((resolve, reject) => {
      this.#settleRun = { resolve, reject };
      this.#sliceStart = performance.now();
      this.#wakeScheduled = true;
      outsideTasks(() => queueMicrotask(this.#runBatch));
    });
  }

  /**
   * Runs the loop until `future` is done and returns its result (or throws
   * its exception). A coroutine function is wrapped in a task; a
   * `PromiseLike` in a future.
   */
  async runUntilComplete<T>(future: Awaitable<T> | Coroutine<T>): Promise<T> {
    this.#checkClosed();
    this.#checkNotRunning();
    const isNew = !(future instanceof Future);
    const fut = ensureFuture(future, { loop: this });
    if (fut.getLoop() !== this) {
      throw new RangeError("The future belongs to a different loop than the one running");
    }
    const stopWhenDone = (done: Future<T>) => {
      if (!done.cancelled() && done.exception() instanceof KeyboardInterrupt) return;
      this.stop();
    };
    fut.addDoneCallback(stopWhenDone);
    try {
      await this.runForever();
    } catch (error) {
      if (isNew && fut.done() && !fut.cancelled()) fut.exception();
      throw error;
    } finally {
      fut.removeDoneCallback(stopWhenDone);
    }
    if (!fut.done()) throw new RuntimeError("Event loop stopped before Future completed.");
    return fut.result();
  }

  /**
   * Stops the loop after the callbacks of the current iteration; before
   * `runForever()`, the next run does one iteration and stops.
   */
  stop(): void {
    this.#stopping = true;
    if (this.#running && !this.#wakeScheduled) this.#wake();
  }

  /** Whether the loop is running. */
  isRunning(): boolean {
    return this.#running;
  }

  /** Whether the loop was closed. */
  isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Closes the loop: drops pending callbacks and shuts the default executor
   * down without waiting. A running loop cannot be closed (`RuntimeError`);
   * closing twice is a no-op.
   */
  close(): void {
    if (this.#running) throw new RuntimeError("Cannot close a running event loop");
    if (this.#closed) return;
    this.#closed = true;
    this.#ready = [];
    this.#readyLen = 0;
    this.#spare = [];
    this.#timers.clear();
    this.#timerCancelledCount = 0;
    // Tasks still pending are released so that they can be collected and
    // reported as destroyed, as in asyncio.
    for (const task of this._tasks) task._abandoned();
    this._tasks = new Set();
    this.#signals.clear();
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    executor?.shutdown(false);
  }

  /**
   * Closes async generators. JavaScript offers no hook to track them, so
   * there are none to close: call `return()` on a generator to finalize it.
   */
  shutdownAsyncgens(): Promise<void> {
    return Promise.resolve();
  }

  /** Shuts the default executor down, waiting for its work to finish. */
  async shutdownDefaultExecutor(): Promise<void> {
    this.#executorShutdownCalled = true;
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (executor !== null) await executor.shutdown(true);
  }

  /** Sets the executor `runInExecutor(null, ...)` uses. */
  setDefaultExecutor(executor: Executor): void {
    if (executor === null || typeof executor?.shutdown !== "function") {
      throw new TypeError("executor must have a shutdown() method");
    }
    this.#defaultExecutor = executor;
  }

  /** @internal Whether `shutdownDefaultExecutor()` was called (no new default then). */
  get _executorShutdownCalled(): boolean {
    return this.#executorShutdownCalled;
  }

  /** @internal The default executor, if one was set or made. */
  _getDefaultExecutor(): Executor | null {
    return this.#defaultExecutor;
  }

  // ---- scheduling ------------------------------------------------------------

  /** The loop's clock: monotonic seconds, as a float. */
  time(): number {
    return performance.now() / 1000;
  }

  /** Schedules `callback(...args)` for the next iteration; returns its handle. */
  callSoon<A extends AnyArgs>(callback: Callback<A>, ...args: A): Handle {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
    checkCallback(callback, "callSoon");
    const handle = new Handle(callback as Callback, args.length > 0 ? args : null, this);
    this.#ready[this.#readyLen++] = handle;
    if (!this.#wakeScheduled && this.#running) this.#wake();
    return handle;
  }

  /** @internal `callSoon(callback, arg)` without an arguments array (futures' callbacks). */
  _callSoon1(callback: Callback, arg: unknown): Handle {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
    const handle = new Handle(callback, null, this);
    handle._arg = arg;
    handle._hasArg = true;
    this.#ready[this.#readyLen++] = handle;
    if (!this.#wakeScheduled && this.#running) this.#wake();
    return handle;
  }

  /**
   * `callSoon` for code outside the loop's thread. An isolate has one
   * thread, so it is `callSoon`; a Worker posts a message instead.
   */
  callSoonThreadsafe<A extends AnyArgs>(callback: Callback<A>, ...args: A): Handle {
    return this.callSoon(callback, ...args);
  }

  /** Schedules `callback(...args)` in `delay` seconds; returns its handle. */
  callLater<A extends AnyArgs>(delay: number, callback: Callback<A>, ...args: A): TimerHandle {
    checkDelay(delay, "delay");
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Schedules `callback(...args)` at `when` on the loop's clock. */
  callAt<A extends AnyArgs>(when: number, callback: Callback<A>, ...args: A): TimerHandle {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
    checkDelay(when, "when");
    checkCallback(callback, "callAt");
    const timer = new TimerHandle(
      when,
      this.#timerSeq++,
      callback as Callback,
      args.length > 0 ? args : null,
      this,
    );
    timer._scheduled = true;
    this.#timers.push(timer);
    if (this.#running && !this.#wakeScheduled && when < this.#timerWakeAt) {
      if (taskContext.getStore() === undefined) this._armTimer();
      else outsideTasks(() => this._armTimer());
    }
    return timer;
  }

  /** Creates a Future bound to this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>({ loop: this });
  }

  /** Wraps a coroutine function in a task (through the task factory, if set). */
  createTask<T>(coro: Coroutine<T>, options: TaskOptions = {}): Task<T> {
    this.#checkClosed();
    if (this.#taskFactory === null) return new Task<T>(coro, { ...options, loop: this });
    checkCoroutine(coro, "createTask");
    const task = this.#taskFactory(this, coro, options);
    if (options.name !== undefined) task.setName(options.name);
    return task;
  }

  /** Sets the factory `createTask` uses; `null` restores the default. */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError("task factory must be a function or null");
    }
    this.#taskFactory = factory;
  }

  /** The task factory, or `null` for the default. */
  getTaskFactory(): TaskFactory | null {
    return this.#taskFactory;
  }

  // ---- network -----------------------------------------------------------------

  /**
   * Resolves `host` and `port` with the system resolver, as
   * `socket.getaddrinfo`: `[family, type, proto, canonname, [host, port]]`
   * entries.
   */
  getaddrinfo(
    host: string | null | undefined,
    port: number | string | null | undefined,
    options: GetaddrinfoOptions = {},
  ): Promise<AddrInfo[]> {
    return getaddrinfo(host, port, options);
  }

  /** Turns `[host, port]` into `[hostname, service]`, as `socket.getnameinfo`. */
  getnameinfo(sockaddr: [string, number], flags = 0): Promise<[string, string]> {
    return getnameinfo(sockaddr, flags);
  }

  /**
   * Opens a TCP connection to `host` and `port` (or wraps `sock`), trying
   * each resolved address in turn, or racing them with
   * `happyEyeballsDelay`. Resolves to `[transport, protocol]` once the
   * protocol's `connectionMade` has run.
   */
  createConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | string | null,
    options: CreateConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return createConnection(this, protocolFactory, host, port, options);
  }

  /**
   * Listens on `host` and `port` and makes a protocol for each connection.
   * `host` may be a list, or empty for all interfaces; port 0 picks a free
   * port (`server.sockets[0].getsockname()` tells which).
   */
  createServer(
    protocolFactory: () => BaseProtocol,
    host?: string | string[] | null,
    port?: number | string | null,
    options: CreateServerOptions = {},
  ): Promise<Server> {
    return createServer(this, protocolFactory, host, port, options);
  }

  /** `createConnection` for the Unix socket at `path`. */
  createUnixConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    path?: string | null,
    options: CreateUnixConnectionOptions = {},
  ): Promise<[Transport, P]> {
    return createUnixConnection(this, protocolFactory, path, options);
  }

  /**
   * `createServer` for the Unix socket at `path`: a stale socket file is
   * replaced, and the file is removed when the server closes.
   */
  createUnixServer(
    protocolFactory: () => BaseProtocol,
    path?: string | null,
    options: CreateUnixServerOptions = {},
  ): Promise<Server> {
    return createUnixServer(this, protocolFactory, path, options);
  }

  /**
   * Wraps a connection accepted outside the loop in a transport (with
   * `ssl`, as the server side of TLS).
   */
  connectAcceptedSocket<P extends BaseProtocol>(
    protocolFactory: () => P,
    sock: Deno.Conn | TransportSocket | sockets.Socket,
    options: ConnectAcceptedSocketOptions = {},
  ): Promise<[Transport, P]> {
    return connectAcceptedSocket(this, protocolFactory, sock, options);
  }

  /**
   * Connects the read end of a pipe (a `ReadableStream`, or an object with
   * one as `readable`, such as `Deno.stdin`) to a protocol.
   */
  connectReadPipe<P extends BaseProtocol>(
    protocolFactory: () => P,
    pipe: ReadPipe,
  ): Promise<[ReadTransport, P]> {
    return connectReadPipe(this, protocolFactory, pipe);
  }

  /**
   * Connects the write end of a pipe (a `WritableStream`, or an object with
   * one as `writable`, such as `Deno.stdout`) to a protocol.
   */
  connectWritePipe<P extends BaseProtocol>(
    protocolFactory: () => P,
    pipe: WritePipe,
  ): Promise<[WriteTransport, P]> {
    return connectWritePipe(this, protocolFactory, pipe);
  }

  /**
   * Connects both directions of a `{ readable, writable }` pair (a
   * `TransformStream` pair, a `WebSocketStream` connection, a child's
   * stdout and stdin) to a protocol, as one transport: what the protocol
   * writes goes to `writable`, what `readable` yields reaches
   * `dataReceived`, and `writeEof()` closes `writable`. Not in asyncio.
   *
   * @example Streams over an in-memory pipe
   * ```ts
   * import { getRunningLoop, run, StreamReader, StreamReaderProtocol } from "@asyncio/asyncio";
   *
   * await run(async () => {
   *   const loop = getRunningLoop();
   *   const wire = new TransformStream<Uint8Array, Uint8Array>();
   *   const reader = new StreamReader();
   *   await loop.connectDuplexPipe(() => new StreamReaderProtocol(reader), {
   *     readable: wire.readable,
   *     writable: new WritableStream(),
   *   });
   *   const writer = wire.writable.getWriter();
   *   await writer.write(new TextEncoder().encode("one line\n"));
   *   console.log(new TextDecoder().decode(await reader.readline())); // "one line\n"
   *   await writer.close();
   * });
   * ```
   */
  connectDuplexPipe<P extends BaseProtocol>(
    protocolFactory: () => P,
    pipe: DuplexPipe,
  ): Promise<[Transport, P]> {
    return connectDuplexPipe(this, protocolFactory, pipe);
  }

  /** Opens a datagram (UDP, or Unix datagram) endpoint: `[transport, protocol]`. */
  createDatagramEndpoint<P extends DatagramProtocol>(
    protocolFactory: () => P,
    options: CreateDatagramEndpointOptions = {},
  ): Promise<[DatagramTransport, P]> {
    return createDatagramEndpoint(this, protocolFactory, options);
  }

  /**
   * Sends `count` bytes (all by default) of `file` from `offset` through
   * `transport`; resolves to the number of bytes sent.
   */
  sendfile(
    transport: WriteTransport,
    file: Deno.FsFile,
    offset = 0,
    count: number | null = null,
    options: SendfileOptions = {},
  ): Promise<number> {
    return sendfile(this, transport, file, offset, count, options);
  }

  /** Upgrades a connection to TLS; resolves to the new transport. */
  startTls(
    transport: Transport,
    protocol: BaseProtocol,
    sslcontext: unknown,
    options: StartTlsOptions = {},
  ): Promise<Transport> {
    return startTls(this, transport, protocol, sslcontext, options);
  }

  /** Receives up to `nbytes` bytes from `sock`; an empty array at EOF. */
  sockRecv(sock: sockets.Socket, nbytes: number): Promise<Uint8Array> {
    return sockets.sockRecv(this, sock, nbytes);
  }

  /** Receives into `buf`; resolves to the number of bytes received. */
  sockRecvInto(sock: sockets.Socket, buf: Uint8Array): Promise<number> {
    return sockets.sockRecvInto(this, sock, buf);
  }

  /** Receives a datagram of up to `bufsize` bytes: `[data, address]`. */
  sockRecvfrom(sock: sockets.Socket, bufsize: number): Promise<[Uint8Array, Address]> {
    return sockets.sockRecvfrom(this, sock, bufsize);
  }

  /** Receives a datagram into `buf`: `[nbytes, address]`. */
  sockRecvfromInto(
    sock: sockets.Socket,
    buf: Uint8Array,
    nbytes = 0,
  ): Promise<[number, Address]> {
    return sockets.sockRecvfromInto(this, sock, buf, nbytes);
  }

  /** Sends all of `data` on a connected socket. */
  sockSendall(sock: sockets.Socket, data: Uint8Array): Promise<void> {
    return sockets.sockSendall(this, sock, data);
  }

  /** Sends a datagram to `address`; resolves to the number of bytes sent. */
  sockSendto(sock: sockets.Socket, data: Uint8Array, address: Address): Promise<number> {
    return sockets.sockSendto(this, sock, data, address);
  }

  /** Connects `sock` to `address`. */
  sockConnect(sock: sockets.Socket, address: Address): Promise<void> {
    return sockets.sockConnect(this, sock, address);
  }

  /** Accepts a connection on a listening socket: `[socket, address]`. */
  sockAccept(sock: sockets.Socket): Promise<[sockets.Socket, Address]> {
    return sockets.sockAccept(this, sock);
  }

  /** `sendfile` on a socket. */
  sockSendfile(
    sock: sockets.Socket,
    file: Deno.FsFile,
    offset = 0,
    count: number | null = null,
    options: SendfileOptions = {},
  ): Promise<number> {
    return sockSendfile(this, sock, file, offset, count, options);
  }

  /**
   * Watching a file descriptor is not possible on Deno, which exposes none:
   * throws `NotImplementedError`. Use a transport (`createConnection`,
   * `connectReadPipe`) or the `sock*` methods instead.
   */
  addReader(_fd: unknown, _callback: Callback, ..._args: unknown[]): never {
    throw new NotImplementedError(
      "addReader(): Deno exposes no file descriptors to watch; use connectReadPipe(), a " +
        "transport (createConnection) or the sock* methods instead",
    );
  }

  /** Not possible on Deno: throws `NotImplementedError` (see `addReader`). */
  removeReader(_fd: unknown): never {
    throw new NotImplementedError(
      "removeReader(): Deno exposes no file descriptors to watch; see addReader()",
    );
  }

  /**
   * Not possible on Deno: throws `NotImplementedError`. Use a transport
   * (`connectWritePipe`, `createConnection`) or `sockSendall` instead.
   */
  addWriter(_fd: unknown, _callback: Callback, ..._args: unknown[]): never {
    throw new NotImplementedError(
      "addWriter(): Deno exposes no file descriptors to watch; use connectWritePipe(), a " +
        "transport (createConnection) or sockSendall() instead",
    );
  }

  /** Not possible on Deno: throws `NotImplementedError` (see `addWriter`). */
  removeWriter(_fd: unknown): never {
    throw new NotImplementedError(
      "removeWriter(): Deno exposes no file descriptors to watch; see addWriter()",
    );
  }

  /**
   * Runs `callback(...args)` through `callSoon` at each delivery of signal
   * `sig` (`"SIGINT"`, `"SIGUSR1"`, ...), replacing a handler set before.
   * An unknown name throws `RangeError`, `SIGKILL`/`SIGSTOP` `RuntimeError`.
   */
  addSignalHandler<A extends AnyArgs>(sig: Deno.Signal, callback: Callback<A>, ...args: A): void {
    this.#checkClosed();
    this.#signals.add(sig, callback as Callback, args);
  }

  /** Removes the handler of `sig`; returns whether there was one. */
  removeSignalHandler(sig: Deno.Signal): boolean {
    return this.#signals.remove(sig);
  }

  /** @internal Whether the program set a handler for `sig` on this loop. */
  _hasSignalHandler(sig: Deno.Signal): boolean {
    return this.#signals.has(sig);
  }

  /**
   * Starts `program` with `args` (the options object last) and connects its
   * stdio to a `SubprocessProtocol`: `[transport, protocol]`. Omitted stdio
   * is `PIPE`, as in Python's `loop.subprocess_exec`; `null` inherits.
   */
  subprocessExec<P extends SubprocessProtocol>(
    protocolFactory: () => P,
    program: string,
    ...args: [...string[]] | [...string[], SubprocessOptions]
  ): Promise<[SubprocessTransport, P]> {
    const last = args.at(-1);
    const options = typeof last === "object" && last !== null ? last as SubprocessOptions : {};
    const strings = (options === last ? args.slice(0, -1) : args) as string[];
    return subprocessExec(this, protocolFactory, program, strings, options);
  }

  /** Runs `cmd` with `/bin/sh -c`, as `subprocessExec`. */
  subprocessShell<P extends SubprocessProtocol>(
    protocolFactory: () => P,
    cmd: string,
    options: SubprocessOptions = {},
  ): Promise<[SubprocessTransport, P]> {
    return subprocessShell(this, protocolFactory, cmd, options);
  }

  /**
   * Runs `func(...args)` on `executor` (the default executor when `null`)
   * and gives a Future of its result.
   */
  runInExecutor<T = unknown>(
    executor: Executor | null,
    func: ExecutorFunction,
    ...args: unknown[]
  ): Future<T> {
    return runInExecutor<T>(this, executor, func, args);
  }

  // ---- errors and debugging --------------------------------------------------

  /** Sets the handler of unhandled errors; `null` restores the default. */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(`A callable object or null is expected, got ${typeof handler}`);
    }
    this.#exceptionHandler = handler;
  }

  /** The custom exception handler, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * The default handler: logs the message, the other keys of the context
   * and the exception's stack through `logger.error`; the loop goes on.
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message || "Unhandled exception in event loop"];
    for (const key of Object.keys(context).sort()) {
      if (key === "message" || key === "exception") continue;
      lines.push(`${key}: ${String(context[key])}`);
    }
    if ("exception" in context) {
      const exc = context.exception;
      lines.push(exc instanceof Error && exc.stack ? exc.stack : String(exc));
    }
    logger.error(lines.join("\n"));
  }

  /** Hands `context` to the exception handler; never throws. */
  callExceptionHandler(context: ExceptionContext): void {
    if (this.#exceptionHandler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (error) {
        logger.error(`Exception in default exception handler: ${error}`);
      }
      return;
    }
    try {
      this.#exceptionHandler(this, context);
    } catch (error) {
      try {
        this.defaultExceptionHandler({
          message: "Unhandled error in exception handler",
          exception: error,
          context,
        });
      } catch {
        logger.error(`Exception in default exception handler: ${error}`);
      }
    }
  }

  /** Turns debug mode on or off (slow callbacks are reported). */
  setDebug(enabled: boolean): void {
    this._debug = Boolean(enabled);
  }

  /** Whether debug mode is on. */
  getDebug(): boolean {
    return this._debug;
  }

  /** A description such as `<EventLoop running=false closed=false debug=false>`. */
  toString(): string {
    return `<${this.constructor.name} running=${this.#running} closed=${this.#closed} debug=${this._debug}>`;
  }

  // ---- internals ---------------------------------------------------------------

  /** @internal A callback threw `exception`. */
  _callbackFailed(handle: Handle, exception: unknown): void {
    if (exception instanceof KeyboardInterrupt) {
      this._fatalError(exception);
      return;
    }
    this.callExceptionHandler({
      message: `Exception in callback ${handle}`,
      exception,
      handle,
    });
  }

  /** @internal Ends `runForever()` with `error`, as Python lets a KeyboardInterrupt out. */
  _fatalError(error: unknown): void {
    if (this.#fatal === NO_ERROR) this.#fatal = error;
    this.stop();
  }

  /** @internal A scheduled timer was cancelled. */
  _timerHandleCancelled(): void {
    this.#timerCancelledCount++;
  }

  /**
   * @internal Marks the start of a macrotask turn: I/O callbacks call it, as
   * an I/O completion means Deno has just polled, so the loop may go on in
   * microtasks for a slice.
   */
  _ioTurn(): void {
    // The clock is read only when the loop next decides whether to yield.
    this.#freshTurn = true;
  }

  /** @internal The deadline of the first live timer, or undefined. */
  _nextTimerWhen(): number | undefined {
    const timers = this.#timers;
    let head = timers.peek();
    while (head !== undefined && head._cancelled) {
      timers.pop();
      head._scheduled = false;
      this.#timerCancelledCount--;
      head = timers.peek();
    }
    return head?._when;
  }

  /** @internal Whether the loop is idle: running, with nothing scheduled to run now. */
  _isIdle(): boolean {
    return this.#running && !this.#wakeScheduled;
  }

  /** @internal Runs an iteration now, when the loop is idle (the virtual clock moved). */
  _wakeNow(): void {
    if (this._isIdle()) this.#wake();
  }

  /**
   * @internal Makes sure the loop wakes for its first timer. The real loop
   * sets one `setTimeout`; the virtual-time loop overrides this.
   */
  _armTimer(): void {
    const when = this._nextTimerWhen();
    if (when === undefined) return;
    if (this.#timerWakeId !== null) {
      if (this.#timerWakeAt <= when) return;
      clearTimeout(this.#timerWakeId);
    }
    if (when === Infinity) return; // never due: nothing to wake for
    // setTimeout takes at most 2^31-1 ms (~24.8 days) and turns more into
    // 1 ms; a later timer wakes the loop early, which then re-arms.
    const delayMs = Math.min(MAX_TIMEOUT_MS, Math.max(0, Math.ceil((when - this.time()) * 1000)));
    this.#timerWakeAt = when;
    this.#timerWakeId = setTimeout(this.#onTimerWake, delayMs);
  }

  #clearTimerWake(): void {
    if (this.#timerWakeId !== null) clearTimeout(this.#timerWakeId);
    this.#timerWakeId = null;
    this.#timerWakeAt = Infinity;
  }

  #onTimerWake = (): void => {
    this.#timerWakeId = null;
    this.#timerWakeAt = Infinity;
    if (!this.#running || this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    this.#sliceStart = performance.now();
    this.#runBatch();
  };

  #checkClosed(): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
  }

  #checkNotRunning(): void {
    if (this.#running) throw new RuntimeError("This event loop is already running");
    const other = getRunningLoopOrNull();
    if (other !== null && other.isRunning()) {
      throw new RuntimeError("Cannot run the event loop while another loop is running");
    }
  }

  // Schedules the next batch: in a microtask while the slice lasts, else
  // after a macrotask turn. Always from a context outside every task.
  #wake(): void {
    this.#wakeScheduled = true;
    const armed = this.#armedWake;
    if (armed !== null) {
      this.#armedWake = null;
      armed();
    } else if (taskContext.getStore() === undefined) {
      this.#scheduleBatch();
    } else {
      outsideTasks(() => this.#scheduleBatch());
    }
  }

  // When the loop goes idle it arms a promise whose reaction was registered
  // outside every task; a wake from inside a task resolves it, and the
  // reaction runs clean. That costs a promise, where restoring a context
  // snapshot costs ~1 µs (measured by bench/loop).
  #armedWake: (() => void) | null = null;

  #armWake(): void {
    new Promise<void>((resolve) => this.#armedWake = resolve).then(this.#onArmedWake);
  }

  #onArmedWake = (): void => {
    if (this.#running) this.#scheduleBatch();
  };

  // The clock costs ~100 ns a read (an op), so the slice is checked every
  // 16 hops; an iteration that runs many callbacks checks it at once.
  #hops = 0;

  #scheduleBatch(): void {
    if ((++this.#hops & 15) !== 0 && this.#lastBatchSize < 64) {
      queueMicrotask(this.#runBatch);
      return;
    }
    const now = performance.now();
    if (this.#freshTurn) {
      this.#freshTurn = false;
      this.#sliceStart = now;
    }
    if (now - this.#sliceStart < SLICE_MS) queueMicrotask(this.#runBatch);
    else setImmediate(this.#runBatchAfterTurn);
  }

  #freshTurn = false;

  #lastBatchSize = 0;

  #runBatchAfterTurn = (): void => {
    this.#sliceStart = performance.now();
    this.#runBatch();
  };

  #runBatch = (): void => {
    if (!this.#running) {
      this.#wakeScheduled = false;
      return;
    }
    if (this._debug) {
      this.#runOnceDebug().then(this.#afterIteration, (error) => this.#finishRun(error));
      return;
    }
    try {
      this.#runOnce();
    } catch (error) {
      this.#finishRun(error);
      return;
    }
    this.#afterIteration();
  };

  #afterIteration = (): void => {
    if (this.#fatal !== NO_ERROR) {
      const error = this.#fatal;
      this.#fatal = NO_ERROR;
      this.#finishRun(error);
      return;
    }
    if (this.#stopping) {
      this.#finishRun(NO_ERROR);
      return;
    }
    if (this.#readyLen > 0) {
      this.#scheduleBatch();
      return;
    }
    const when = this._nextTimerWhen();
    if (when !== undefined && when < this.time() + CLOCK_RESOLUTION) {
      this.#scheduleBatch();
      return;
    }
    this.#wakeScheduled = false;
    if (this.#armedWake === null) this.#armWake();
    if (when !== undefined) this._armTimer();
  };

  #finishRun(error: unknown): void {
    this.#stopping = false;
    this.#running = false;
    this.#wakeScheduled = false;
    this.#armedWake = null;
    this.#clearTimerWake();
    this.#signals.setRunning(false);
    setRunningLoop(null);
    const settle = this.#settleRun!;
    this.#settleRun = null;
    if (error === NO_ERROR) settle.resolve();
    else settle.reject(error);
  }

  // Moves due timers to the ready queue, as Python's `_run_once`.
  #collectTimers(): void {
    const timers = this.#timers;
    if (
      timers.size > MIN_SCHEDULED_TIMER_HANDLES &&
      this.#timerCancelledCount / timers.size > MIN_CANCELLED_TIMER_HANDLES_FRACTION
    ) {
      timers.filter((timer) => {
        if (!timer._cancelled) return true;
        timer._scheduled = false;
        return false;
      });
      this.#timerCancelledCount = 0;
    }
    if (timers.size === 0) return;
    const end = this.time() + CLOCK_RESOLUTION;
    const ready = this.#ready;
    for (let head = timers.peek(); head !== undefined && head._when < end; head = timers.peek()) {
      timers.pop();
      head._scheduled = false;
      if (head._cancelled) this.#timerCancelledCount--;
      else ready[this.#readyLen++] = head;
    }
  }

  #takeReady(): (Handle | undefined)[] {
    const todo = this.#ready;
    this.#lastBatchSize = this.#readyLen;
    this.#ready = this.#spare;
    this.#readyLen = 0;
    return todo;
  }

  #returnReady(todo: (Handle | undefined)[], count: number): void {
    for (let i = 0; i < count; i++) todo[i] = undefined;
    this.#spare = todo;
  }

  #runOnce(): void {
    this.#collectTimers();
    const todo = this.#takeReady();
    const count = this.#lastBatchSize;
    for (let i = 0; i < count; i++) {
      const handle = todo[i]!;
      if (!handle._cancelled) handle._run();
    }
    this.#returnReady(todo, count);
  }

  // Debug mode times each callback together with the task code it resumes,
  // which runs in the microtasks that follow it.
  async #runOnceDebug(): Promise<void> {
    this.#collectTimers();
    const todo = this.#takeReady();
    const count = this.#lastBatchSize;
    try {
      for (let i = 0; i < count; i++) {
        const handle = todo[i]!;
        if (handle._cancelled) continue;
        const description = handle.toString();
        const start = this.time();
        handle._run();
        await null;
        await null;
        const took = this.time() - start;
        if (took >= this.slowCallbackDuration) {
          logger.warning(`Executing ${description} took ${took.toFixed(3)} seconds`);
        }
      }
    } finally {
      this.#returnReady(todo, count);
    }
  }
}
