/**
 * `loop.sendfile` and `loop.sockSendfile`: a `Deno.FsFile` through a
 * transport or a connected socket.
 *
 * Deno has no zero-copy `sendfile(2)` for user code, so both read the file
 * in chunks and write them, and `fallback: false` throws
 * `SendfileNotAvailableError`. Both resolve to the number of bytes sent and
 * leave the file position just after the last byte sent (after a failure or
 * a cancellation too).
 *
 * Through a plain TCP or Unix socket transport (as made by
 * `createConnection`, `createServer` and their Unix twins, without TLS),
 * `loop.sendfile` waits until the transport's buffer is empty and then
 * writes the file to the connection itself, as asyncio's native sendfile
 * writes to the socket: one chunk in flight, no copy through the
 * transport's buffer. Meanwhile `transport.write()` and `writeEof()` throw
 * `RuntimeError` ("sendfile is in progress"), as in asyncio.
 *
 * Through any other transport (TLS, or one whose `write` was replaced), the
 * chunks go through `transport.write()` within the transport's flow
 * control: a chunk is written only while what the transport buffers stays
 * within its high-water mark. For that, during the call, the transport's
 * high-water mark is lowered by one chunk (restored afterwards).
 *
 * Either way the transport's protocol is wrapped during the call: its
 * callbacks are forwarded (so, unlike asyncio's fallback, reading is not
 * paused and `dataReceived` goes on), except `pauseWriting` and
 * `resumeWriting`, which the call uses; the protocol gets them afterwards
 * if its state changed meanwhile.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, run, type Transport } from "@asyncio/asyncio";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array(100_000).fill(7));
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   let received = 0;
 *   const done = loop.createFuture<void>();
 *   class Sink extends Protocol {
 *     override dataReceived(data: Uint8Array) {
 *       received += data.length;
 *     }
 *     override connectionLost() {
 *       done.setResult();
 *     }
 *   }
 *   const server = await loop.createServer(() => new Sink(), "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [transport]: [Transport, Protocol] = await loop.createConnection(
 *     () => new Protocol(),
 *     "127.0.0.1",
 *     port,
 *   );
 *   using file = await Deno.open(path);
 *   console.log(await loop.sendfile(transport, file)); // 100000
 *   transport.close();
 *   await done;
 *   console.log(received); // 100000
 *   server.close();
 *   await server.waitClosed();
 * });
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
import { RuntimeError, SendfileNotAvailableError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import { DatagramTransport, type WriteTransport } from "./transports.ts";
import { type Socket, sockSendall } from "./sockets.ts";
import { SOCK_STREAM } from "./constants.ts";
import { awaitOp } from "./_ops.ts";
import { StreamTransport } from "./_stream_transport.ts";

/** Options of `loop.sendfile` and `loop.sockSendfile`. */
export interface SendfileOptions {
  /**
   * Read and write in chunks when there is no zero-copy path (the default:
   * true). Deno never has one, so `false` throws `SendfileNotAvailableError`.
   */
  fallback?: boolean;
}

// The chunk read from the file for a transport: the room between the water
// marks, within these bounds.
const MIN_CHUNK = 16 * 1024;
const MAX_CHUNK = 256 * 1024;
// A socket's chunk, asyncio's SENDFILE_FALLBACK_READBUFFER_SIZE; and the
// chunk written straight to a transport's connection.
const SOCKET_CHUNK = 256 * 1024;
const DIRECT_CHUNK = 256 * 1024;

const noop = (): void => {};

function checkParams(file: unknown, offset: unknown, count: unknown): void {
  if (!(file instanceof Deno.FsFile)) {
    throw new TypeError(`file must be a Deno.FsFile (from Deno.open), not ${typeof file}`);
  }
  if (typeof offset !== "number" || !Number.isInteger(offset)) {
    throw new TypeError(`offset must be a non-negative integer (got ${String(offset)})`);
  }
  if (offset < 0) throw new RangeError(`offset must be a non-negative integer (got ${offset})`);
  if (count !== null && count !== undefined) {
    if (typeof count !== "number" || !Number.isInteger(count)) {
      throw new TypeError(`count must be a positive integer (got ${String(count)})`);
    }
    if (count <= 0) throw new RangeError(`count must be a positive integer (got ${count})`);
  }
}

function notAvailable(): SendfileNotAvailableError {
  return new SendfileNotAvailableError(
    "Deno has no zero-copy sendfile for user code; pass fallback: true (the default) to " +
      "send the file in chunks",
  );
}

// The reads of one call: the file position is put back after the last byte
// sent at the end, once the read in flight (if a cancellation left one) is
// done.
class FileReader {
  #loop: EventLoop;
  #file: Deno.FsFile;
  #pending: Promise<number | null> | null = null;

  constructor(loop: EventLoop, file: Deno.FsFile) {
    this.#loop = loop;
    this.#file = file;
  }

  async seek(position: number): Promise<void> {
    await awaitOp(this.#loop, this.#file.seek(position, Deno.SeekMode.Start), noop);
  }

  /** Starts a read now; `result()` awaits it. */
  start(buffer: Uint8Array): Promise<number | null> {
    const op = this.#file.read(buffer);
    this.#pending = op;
    // Settled or not, it is awaited in finish(); this only keeps it handled.
    op.catch(noop);
    return op;
  }

  async result(): Promise<number> {
    const n = await awaitOp(this.#loop, this.#pending!, noop);
    this.#loop._ioTurn();
    return n ?? 0;
  }

  async finish(position: number): Promise<void> {
    const pending = this.#pending;
    if (pending !== null) await pending.catch(noop);
    await this.#file.seek(position, Deno.SeekMode.Start);
  }
}

interface FlowControlled extends WriteTransport {
  getProtocol(): BaseProtocol;
  setProtocol(protocol: BaseProtocol): void;
}

function checkTransport(transport: unknown): FlowControlled {
  const t = transport as Record<string, unknown> | null;
  const methods = [
    "write",
    "isClosing",
    "getWriteBufferSize",
    "getWriteBufferLimits",
    "setWriteBufferLimits",
    "getProtocol",
    "setProtocol",
  ];
  if (
    t === null || typeof t !== "object" || transport instanceof DatagramTransport ||
    !methods.every((m) => typeof t[m] === "function")
  ) {
    throw new RuntimeError(`sendfile is not supported for transport ${String(transport)}`);
  }
  return transport as FlowControlled;
}

function connectionClosed(exc: Error | null): Error {
  return exc ?? new Deno.errors.ConnectionReset("Connection closed by peer");
}

/**
 * Stands in for the transport's protocol during a sendfile: forwards every
 * callback except `pauseWriting`/`resumeWriting`, which drive the copy.
 */
class FlowWatch {
  readonly proxy: BaseProtocol;
  /** A pauseWriting() of the call's own writes, not yet resumed. */
  ownPause = false;
  /** A resumeWriting() that ended a pause from before the call. */
  swallowedResume = false;
  lost: { exc: Error | null } | null = null;
  /** Called at each resumeWriting() and at connectionLost(). */
  onChange: () => void = noop;

  constructor(original: BaseProtocol) {
    const bound = new Map<PropertyKey, unknown>();
    const handlers: Record<PropertyKey, unknown> = {
      pauseWriting: () => {
        this.ownPause = true;
      },
      resumeWriting: () => {
        if (this.ownPause) this.ownPause = false;
        else this.swallowedResume = true;
        this.onChange();
      },
      connectionLost: (exc: Error | null) => {
        this.lost = { exc };
        this.onChange();
        original.connectionLost(exc);
      },
    };
    this.proxy = new Proxy(original, {
      get(target, prop) {
        if (Object.hasOwn(handlers, prop)) return handlers[prop];
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        let fn = bound.get(prop);
        if (fn === undefined || (fn as { original?: unknown }).original !== value) {
          fn = Object.assign(value.bind(target), { original: value });
          bound.set(prop, fn);
        }
        return fn;
      },
    });
  }
}

// The copy runs in I/O callbacks rather than in the calling task: a chunk is
// written as soon as it is read and the buffer has room, and when the buffer
// drains, the next chunk (read meanwhile) is written from resumeWriting()
// itself, so that the transport's next write starts at once.
class TransportCopy {
  sent = 0;
  readonly done: Future<number>;
  #transport: FlowControlled;
  #watch: FlowWatch;
  #reader: FileReader;
  #buffer: Uint8Array;
  #count: number | null;
  #lowered: number;
  #ready = 0;
  #reading = false;
  #eof = false;

  constructor(
    loop: EventLoop,
    transport: FlowControlled,
    watch: FlowWatch,
    reader: FileReader,
    options: { chunk: number; count: number | null; lowered: number },
  ) {
    this.done = loop.createFuture<number>();
    this.#transport = transport;
    this.#watch = watch;
    this.#reader = reader;
    this.#count = options.count;
    this.#lowered = options.lowered;
    this.#buffer = new Uint8Array(
      options.count === null ? options.chunk : Math.min(options.chunk, options.count),
    );
    watch.onChange = this.#pump;
  }

  start(): void {
    this.#read();
  }

  #read(): void {
    const want = this.#count === null
      ? this.#buffer.length
      : Math.min(this.#buffer.length, this.#count - this.sent);
    if (want <= 0) {
      this.#eof = true;
      return;
    }
    this.#reading = true;
    this.#reader.start(this.#buffer.subarray(0, want)).then((n) => {
      this.#reading = false;
      if (this.done.done()) return;
      if (n === null || n === 0) this.#eof = true;
      else this.#ready = n;
      this.#pump();
    }, (error) => {
      this.#reading = false;
      this.#fail(error);
    });
  }

  #pump = (): void => {
    if (this.done.done()) return;
    try {
      const transport = this.#transport;
      if (this.#watch.lost !== null) throw connectionClosed(this.#watch.lost.exc);
      if (this.#ready > 0) {
        // Past the lowered mark the transport has paused its protocol:
        // resumeWriting() comes back here.
        if (transport.getWriteBufferSize() > this.#lowered) return;
        if (transport.isClosing()) throw connectionClosed(null);
        transport.write(this.#buffer.subarray(0, this.#ready)); // copied by the transport
        this.sent += this.#ready;
        this.#ready = 0;
        this.#read(); // while the transport writes
      }
      if (this.#eof && this.#ready === 0 && !this.#reading) this.done.setResult(this.sent);
    } catch (error) {
      this.#fail(error);
    }
  };

  #fail(error: unknown): void {
    if (!this.done.done()) this.done.setException(error);
  }
}

// A plain socket transport (TCP or Unix: not TLS, not a pipe) writes to a
// Deno.Conn. For those, once the transport's buffer is empty, the file goes
// straight to the connection, as asyncio's native sendfile goes to the
// socket: no copy into the transport's buffer, and writes through the
// transport meanwhile throw RuntimeError, as in asyncio.
function directConn(transport: FlowControlled): Deno.Conn | null {
  // A program that replaced write() on the transport is written through.
  if (Object.hasOwn(transport, "write") || Object.hasOwn(transport, "writeEof")) return null;
  const conn = transport instanceof StreamTransport ? transport._directConn() : null;
  const kind = conn?.remoteAddr?.transport;
  return kind === "tcp" || kind === "unix" ? conn : null;
}

/** Copies the file to the connection itself, reading the next chunk while one is written. */
async function directCopy(
  loop: EventLoop,
  conn: Deno.Conn,
  reader: FileReader,
  count: number | null,
  progress: { sent: number; writing: Promise<unknown> | null },
): Promise<void> {
  const size = count === null ? DIRECT_CHUNK : Math.min(DIRECT_CHUNK, count);
  let current = new Uint8Array(size);
  let next = new Uint8Array(size);
  let requested = size;
  reader.start(current);
  let n = await reader.result();
  while (n > 0) {
    const want = count === null ? size : Math.min(size, count - requested);
    requested += want;
    if (want > 0) reader.start(next.subarray(0, want));
    let offset = 0;
    while (offset < n) {
      const op = conn.write(current.subarray(offset, n));
      progress.writing = op;
      op.then((written) => progress.sent += written, noop);
      offset += await awaitOp(loop, op, noop);
      progress.writing = null;
      loop._ioTurn();
    }
    if (want <= 0) break;
    n = await reader.result();
    [current, next] = [next, current];
  }
}

async function sendfileFallback(
  loop: EventLoop,
  transport: FlowControlled,
  file: Deno.FsFile,
  offset: number,
  count: number | null,
): Promise<number> {
  const [low, high] = transport.getWriteBufferLimits();
  const chunk = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, high - low));
  // Writing a chunk only while the buffer is at most `lowered`, the buffer
  // never holds more than the high-water mark (when the marks leave room for
  // a chunk; else at most low + MIN_CHUNK).
  const lowered = Math.max(low, high - chunk);
  const original = transport.getProtocol();
  const watch = new FlowWatch(original);
  const reader = new FileReader(loop, file);
  const conn = directConn(transport);
  const copy = conn === null
    ? new TransportCopy(loop, transport, watch, reader, { chunk, count, lowered })
    : null;
  const direct = { sent: 0, writing: null as Promise<unknown> | null };
  let guarded = false;
  transport.setProtocol(watch.proxy);
  try {
    if (conn !== null) {
      // Wait until the transport has handed everything to the connection.
      transport.setWriteBufferLimits(0, 0);
      while (transport.getWriteBufferSize() > 0) {
        if (watch.lost !== null) throw connectionClosed(watch.lost.exc);
        const drained = loop.createFuture<void>();
        watch.onChange = () => drained.done() || drained.setResult();
        await drained;
      }
      if (watch.lost !== null || transport.isClosing()) {
        throw connectionClosed(watch.lost?.exc ?? null);
      }
      (transport as StreamTransport)._sendfileInProgress = true;
      guarded = true;
      await reader.seek(offset);
      try {
        await directCopy(loop, conn, reader, count, direct);
      } catch (error) {
        // Closed under the copy: the error connectionLost() had, if any.
        const lost = watch.lost as { exc: Error | null } | null;
        if (lost !== null && lost.exc !== null) throw lost.exc;
        if (error instanceof Deno.errors.BadResource) throw connectionClosed(null);
        throw error;
      }
      return direct.sent;
    }
    transport.setWriteBufferLimits(lowered, low);
    await reader.seek(offset);
    copy!.start();
    return await copy!.done;
  } finally {
    if (copy !== null && !copy.done.done()) copy.done.cancel();
    // A write still in flight (after a cancellation) ends before the
    // transport may write again.
    if (direct.writing !== null) await direct.writing.catch(noop);
    if (guarded) (transport as StreamTransport)._sendfileInProgress = false;
    watch.onChange = noop;
    if (transport.getProtocol() === watch.proxy) transport.setProtocol(original);
    try {
      transport.setWriteBufferLimits(high, low);
    } catch {
      // A transport that closed may refuse; nothing is left to limit.
    }
    if (watch.lost === null) {
      // Leave the protocol in the transport's state: paused if the call's
      // own pause is still on, resumed if the call took a resume meant for it.
      if (watch.ownPause) original.pauseWriting();
      else if (watch.swallowedResume) original.resumeWriting();
    }
    await reader.finish(offset + (copy === null ? direct.sent : copy.sent));
  }
}

/**
 * `loop.sendfile`: sends `count` bytes (all, by default) of `file` from
 * `offset` through `transport`, in chunks, after what the transport
 * buffered and within its flow control (see the module documentation);
 * resolves to the number of bytes sent.
 * `RuntimeError` when the transport is closing or cannot send files (a
 * datagram transport); `SendfileNotAvailableError` with `fallback: false`.
 * When the connection is lost on the way, rejects with the error of
 * `connectionLost` (`Deno.errors.ConnectionReset` for a clean close).
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, run, SendfileNotAvailableError, type Transport } from "@asyncio/asyncio";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "hello, file");
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [transport]: [Transport, Protocol] = await loop.createConnection(
 *     () => new Protocol(),
 *     "127.0.0.1",
 *     port,
 *   );
 *   using file = await Deno.open(path);
 *   try {
 *     await loop.sendfile(transport, file, 0, null, { fallback: false });
 *   } catch (error) {
 *     console.log(error instanceof SendfileNotAvailableError); // true
 *   }
 *   console.log(await loop.sendfile(transport, file, 7)); // 4: "file"
 *   transport.close();
 *   server.close();
 *   server.closeClients();
 *   await server.waitClosed();
 * });
 * await Deno.remove(path);
 * ```
 */
export async function sendfile(
  loop: EventLoop,
  transport: WriteTransport,
  file: Deno.FsFile,
  offset = 0,
  count: number | null = null,
  options: SendfileOptions = {},
): Promise<number> {
  const target = checkTransport(transport);
  checkParams(file, offset, count);
  if (target.isClosing()) throw new RuntimeError("Transport is closing");
  if (!(options.fallback ?? true)) throw notAvailable();
  return await sendfileFallback(loop, target, file, offset, count ?? null);
}

/**
 * `loop.sockSendfile`: sends `count` bytes (all, by default) of `file`
 * from `offset` on a connected `SOCK_STREAM` socket with `sockSendall`, in
 * 256 KiB chunks (the next is read while one is sent); resolves to the
 * number of bytes sent. `RangeError` for a `SOCK_DGRAM` socket,
 * `SendfileNotAvailableError` with `fallback: false`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socket } from "@asyncio/asyncio";
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array(300_000));
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket();
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   using client = socket();
 *   await loop.sockConnect(client, server.getsockname());
 *   const [conn] = await loop.sockAccept(server);
 *   using _conn = conn;
 *   using file = await Deno.open(path);
 *   const sending = loop.sockSendfile(client, file);
 *   let received = 0;
 *   while (received < 300_000) received += (await loop.sockRecv(conn, 65536)).length;
 *   console.log(await sending, received); // 300000 300000
 * });
 * await Deno.remove(path);
 * ```
 */
export async function sockSendfile(
  loop: EventLoop,
  sock: Socket,
  file: Deno.FsFile,
  offset = 0,
  count: number | null = null,
  options: SendfileOptions = {},
): Promise<number> {
  if (sock === null || typeof sock !== "object" || typeof sock._stream !== "function") {
    throw new TypeError("sockSendfile(): sock must be a Socket (made by socket())");
  }
  if (sock.type !== SOCK_STREAM) {
    throw new RangeError("only SOCK_STREAM type sockets are supported");
  }
  checkParams(file, offset, count);
  sock._stream();
  if (!(options.fallback ?? true)) throw notAvailable();
  const size = count === null ? SOCKET_CHUNK : Math.min(SOCKET_CHUNK, count);
  let current = new Uint8Array(size);
  let next = new Uint8Array(size);
  const reader = new FileReader(loop, file);
  let sent = 0;
  try {
    await reader.seek(offset);
    reader.start(current);
    let n = await reader.result();
    while (n > 0) {
      const want = count === null ? size : Math.min(size, count - sent - n);
      // The next chunk is read while this one is sent.
      if (want > 0) reader.start(next.subarray(0, want));
      await sockSendall(loop, sock, current.subarray(0, n));
      sent += n;
      if (want <= 0) break;
      n = await reader.result();
      [current, next] = [next, current];
    }
    return sent;
  } finally {
    await reader.finish(offset + sent);
  }
}
