/**
 * `StreamReaderProtocol`: the protocol between a transport and a
 * `StreamReader`/`StreamWriter` pair, as asyncio's (with the flow control
 * `drain()` waits on).
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import { currentEventLoop } from "../loop/_running.ts";
import type { Task } from "../loop/tasks.ts";
import { Protocol } from "../protocols/protocols.ts";
import type { Transport } from "../transports/transports.ts";
import { copiesReceivedData } from "../transports/_stream_transport.ts";
import type { StreamReader } from "./stream_reader.ts";
import { StreamWriter } from "./stream_writer.ts";

/**
 * What `startServer` calls for each connection: a plain function, or an
 * async one, which then runs as a task (a failure goes to the loop's
 * exception handler and closes that connection only).
 */
export type ClientConnectedCallback = (
  reader: StreamReader,
  writer: StreamWriter,
) => void | PromiseLike<void>;

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === "function" && fn.constructor?.name === "AsyncFunction";
}

/**
 * Feeds a `StreamReader` from a transport and lets a `StreamWriter` wait
 * for the transport's write buffer to drain.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, StreamReader, StreamReaderProtocol } from "@asyncio/asyncio";
 * await run(async () => {
 *   const reader = new StreamReader();
 *   const protocol = new StreamReaderProtocol(reader);
 *   protocol.dataReceived(new TextEncoder().encode("ping\n"));
 *   console.log(new TextDecoder().decode(await reader.readline())); // "ping\n"
 *   console.log(getRunningLoop().isRunning()); // true
 * });
 * ```
 */
export class StreamReaderProtocol extends Protocol {
  #loop: EventLoop;
  #reader: StreamReader | null;
  #clientConnectedCb: ClientConnectedCallback | null;
  #transport: Transport | null = null;
  #closed: Future<void>;
  #task: Task<void> | null = null;
  // Flow control (Python's FlowControlMixin).
  #paused = false;
  #drainWaiters: Future<void>[] = [];
  #connectionLost = false;

  /** Creates the protocol of `streamReader`; with a callback, a server's protocol. */
  constructor(
    streamReader: StreamReader | null,
    clientConnectedCb: ClientConnectedCallback | null = null,
    loop?: EventLoop,
  ) {
    super();
    this.#loop = loop ?? currentEventLoop();
    this.#reader = streamReader;
    this.#clientConnectedCb = clientConnectedCb;
    this.#closed = this.#loop.createFuture<void>();
    // feedData() copies into the reader's buffer: the transport may lend its
    // own read buffer. Not for a subclass with its own dataReceived().
    this[copiesReceivedData] = this.dataReceived === StreamReaderProtocol.prototype.dataReceived;
  }

  /** @internal See `copiesReceivedData`. */
  [copiesReceivedData]: boolean;

  /** Binds the transport to the reader; for a server, calls the callback. */
  override connectionMade(transport: Transport): void {
    this.#transport = transport;
    const reader = this.#reader;
    reader?.setTransport(transport);
    const callback = this.#clientConnectedCb;
    if (callback === null) return;
    const writer = new StreamWriter(transport, this, reader, this.#loop);
    const report = (exception: unknown) => {
      this.#loop.callExceptionHandler({
        message: "Unhandled exception in client_connected_cb",
        exception,
        transport,
      });
      transport.close();
    };
    if (isAsyncFunction(callback)) {
      const task = this.#loop.createTask(() => callback(reader!, writer));
      this.#task = task as Task<void>;
      task.addDoneCallback((done) => {
        if (done.cancelled()) {
          transport.close();
          return;
        }
        const exception = done.exception();
        if (exception !== null) report(exception);
      });
      return;
    }
    const result = callback(reader!, writer);
    if (result !== undefined && typeof (result as PromiseLike<void>)?.then === "function") {
      (result as PromiseLike<void>).then(undefined, report);
    }
  }

  /** Hands the data to the reader. */
  override dataReceived(data: Uint8Array): void {
    this.#reader?.feedData(data);
  }

  /** Hands EOF to the reader and keeps the write side open. */
  override eofReceived(): boolean {
    this.#reader?.feedEof();
    return this.#transport?.getExtraInfo("sslcontext") === undefined;
  }

  /** Ends the reader (with the error, if any) and wakes `drain()` and `waitClosed()`. */
  override connectionLost(exc: Error | null): void {
    const reader = this.#reader;
    if (reader !== null) {
      if (exc === null) {
        reader.feedEof();
      } else {
        reader.setException(exc);
      }
    }
    if (!this.#closed.done()) {
      if (exc === null) this.#closed.setResult();
      else {
        this.#closed.setException(exc);
        this.#closed._markRetrieved(); // waitClosed() may never be called
      }
    }
    this.#connectionLost = true;
    if (this.#paused) {
      for (const waiter of this.#drainWaiters) {
        if (waiter.done()) continue;
        if (exc === null) waiter.setResult();
        else waiter.setException(exc);
      }
    }
    this.#transport = null;
    this.#task = null;
  }

  /** The transport's buffer is full: `drain()` waits from now on. */
  override pauseWriting(): void {
    this.#paused = true;
  }

  /** The transport's buffer drained: the `drain()` calls return. */
  override resumeWriting(): void {
    this.#paused = false;
    for (const waiter of this.#drainWaiters) if (!waiter.done()) waiter.setResult();
  }

  /** @internal What `StreamWriter.drain()` waits on. */
  async _drainHelper(): Promise<void> {
    if (this.#connectionLost) throw new Deno.errors.ConnectionReset("Connection lost");
    if (!this.#paused) return;
    const waiter = this.#loop.createFuture<void>();
    this.#drainWaiters.push(waiter);
    try {
      await waiter;
    } finally {
      this.#drainWaiters.splice(this.#drainWaiters.indexOf(waiter), 1);
    }
  }

  /** @internal Whether this is a server's protocol (it has a callback): `startTls` upgrades as the server. */
  _isServerSide(): boolean {
    return this.#clientConnectedCb !== null;
  }

  /** @internal After `StreamWriter.startTls`: the writer's new (TLS) transport is this protocol's. */
  _replaceWriter(writer: StreamWriter): void {
    this.#transport = writer.transport;
  }

  /** @internal What `StreamWriter.waitClosed()` waits on. */
  _getCloseWaiter(): Future<void> {
    return this.#closed;
  }
}
