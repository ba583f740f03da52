// The byte-stream transport, modelled on asyncio's proactor transports:
// Deno's I/O completes promises, as IOCP completes overlapped operations.
// One read is outstanding at a time; one write is in flight at a time and
// what is written meanwhile is coalesced into the next one.
import { RuntimeError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import { logger } from "../loop/log.ts";
import { outsideTasks, taskContext } from "../loop/_context.ts";
import type { Future } from "../loop/futures.ts";
import type { BaseProtocol, BufferedProtocol, Protocol } from "../protocols/protocols.ts";
import { Transport } from "./transports.ts";
import { concatBytes, copyBytes, toBytes } from "./_bytes.ts";
import { isConnectionLostError } from "./_errors.ts";
import { reportFatalError, WriteFlowControl } from "./_flow_control.ts";

/** What the transport needs of a connection; a `Deno.Conn` is one. */
export interface ByteChannel {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  /** Absent when the channel cannot half-close. */
  closeWrite?(): Promise<void>;
  close(): void;
  /**
   * Optional: the next chunk read, handed over (no one writes it again), or
   * `null` at EOF; the transport passes it to `dataReceived` uncopied.
   */
  readOwned?(): Promise<Uint8Array | null>;
  /** Optional: `true` when the channel is done with a chunk once its write resolves. */
  readonly releasesWrites?: boolean;
}

/** What a server needs to know of its connections. */
export interface ConnectionOwner {
  _attach(transport: StreamTransport): void;
  _detach(transport: StreamTransport): void;
}

/** What a transport does: both directions (a socket), or one (a pipe). */
export type TransportMode = "both" | "read" | "write";

export interface StreamTransportOptions {
  extra?: Record<string, unknown>;
  /** "read" for a read pipe (no writes), "write" for a write pipe (no reads). */
  mode?: TransportMode;
  server?: ConnectionOwner | null;
  /** Set once `connectionMade` has been called. */
  waiter?: Future<void> | null;
}

// A read asks for up to this much (asyncio's proactor reads 256 KiB into a
// fresh buffer; one reused 64 KiB buffer per connection keeps 500
// connections at 32 MiB).
const READ_SIZE = 64 * 1024;
// asyncio's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
const CONNLOST_WRITES_BEFORE_WARNING = 5;
// Writes up to this size are copied into the shared slab (cheap views);
// larger ones into the transport's reusable write buffer, up to 1 MiB.
const SMALL_WRITE = 4096;
const MAX_WRITE_BUFFER = 1024 * 1024;

/**
 * Set to `true` by a protocol whose `dataReceived` copies the bytes before
 * it returns and keeps no reference (StreamReaderProtocol feeding its
 * reader): the transport then lends it a view of its read buffer instead of
 * a fresh copy, whose allocation dominated large reads.
 */
export const copiesReceivedData: unique symbol = Symbol("copiesReceivedData");

function copiesData(protocol: BaseProtocol): boolean {
  return (protocol as { [copiesReceivedData]?: boolean })[copiesReceivedData] === true;
}

function isBuffered(protocol: BaseProtocol): protocol is BufferedProtocol {
  return typeof (protocol as BufferedProtocol).getBuffer === "function" &&
    typeof (protocol as BufferedProtocol).bufferUpdated === "function";
}

/** A stream transport over a `ByteChannel`: TCP and Unix sockets, pipes. */
export class StreamTransport extends Transport {
  #loop: EventLoop;
  #channel: ByteChannel;
  #protocol: BaseProtocol;
  #server: ConnectionOwner | null;
  #mode: TransportMode;
  #closing = false;
  #connLost = 0;
  #calledConnectionLost = false;
  // reading
  #paused = false;
  #wakeReader: (() => void) | null = null;
  // writing
  #buffer: Uint8Array[] = [];
  #bufferSize = 0;
  #pendingWrite = 0;
  #writing = false;
  #eofWritten = false;
  #flow: WriteFlowControl;

  constructor(
    loop: EventLoop,
    channel: ByteChannel,
    protocol: BaseProtocol,
    options: StreamTransportOptions = {},
  ) {
    super(options.extra ?? {});
    this.#loop = loop;
    this.#channel = channel;
    this.#protocol = protocol;
    this.#server = options.server ?? null;
    this.#mode = options.mode ?? "both";
    this.#flow = new WriteFlowControl(loop, this);
    this.#isConn = "localAddr" in channel && "remoteAddr" in channel;
    this.#ownsWrites = this.#isConn || channel.releasesWrites === true;
    this.#server?._attach(this);
    const waiter = options.waiter ?? null;
    loop.callSoon(() => {
      try {
        (this.#protocol as Protocol).connectionMade(this);
      } catch (error) {
        this.#fatalError(error, "Fatal error: protocol.connectionMade() call failed.");
      }
      if (!this.#closing && this.#mode !== "write") outsideTasks(() => this.#readLoop());
      if (waiter !== null && !waiter.done()) waiter.setResult();
    });
  }

  /** @internal The loop the transport runs on. */
  get _loop(): EventLoop {
    return this.#loop;
  }

  override toString(): string {
    const state = this.#calledConnectionLost ? "closed" : this.#closing ? "closing" : "open";
    return `<${this.constructor.name} ${state} buffer=${this.getWriteBufferSize()}>`;
  }

  override isClosing(): boolean {
    return this.#closing;
  }

  override setProtocol(protocol: BaseProtocol): void {
    this.#protocol = protocol;
  }

  override getProtocol(): BaseProtocol {
    return this.#protocol;
  }

  // ---- reading ---------------------------------------------------------------

  override isReading(): boolean {
    return this.#mode !== "write" && !this.#paused && !this.#closing;
  }

  override pauseReading(): void {
    if (this.#closing || this.#paused) return;
    this.#paused = true;
  }

  override resumeReading(): void {
    if (this.#closing || !this.#paused) return;
    this.#paused = false;
    this.#resumeReader();
  }

  #resumeReader(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = null;
    wake?.();
  }

  #untilResumed(): Promise<void> {
    return new Promise<void>((resolve) => this.#wakeReader = resolve);
  }

  /**
   * Whether the loop closed while an operation was pending: then no callback
   * can run any more, so the transport lets its channel go quietly (as the
   * proactor loop's close cancels pending overlapped operations).
   */
  #abandoned(): boolean {
    if (!this.#loop.isClosed()) return false;
    if (!this.#closing) {
      this.#closing = true;
      try {
        this.#channel.close();
      } catch {
        // already closed
      }
    }
    return true;
  }

  async #readLoop(): Promise<void> {
    const channel = this.#channel;
    const ownBuffer = new Uint8Array(READ_SIZE);
    try {
      for (;;) {
        if (this.#paused) await this.#untilResumed();
        if (this.#closing || this.#abandoned()) return;
        const protocol = this.#protocol;
        if (channel.readOwned !== undefined && !isBuffered(protocol)) {
          const chunk = await channel.readOwned();
          this.#loop._ioTurn();
          if (this.#closing || this.#abandoned()) return;
          if (this.#paused) await this.#untilResumed();
          if (this.#closing) return;
          if (chunk === null) {
            this.#eofReceived();
            return;
          }
          if (!this.#deliverOwned(chunk)) return;
          continue;
        }
        let target: Uint8Array = ownBuffer;
        if (isBuffered(protocol)) {
          try {
            target = toBytes(protocol.getBuffer(-1), "getBuffer() result");
            if (target.length === 0) throw new RangeError("getBuffer() returned an empty buffer");
          } catch (error) {
            this.#fatalError(error, "Fatal error: protocol.getBuffer() call failed.");
            return;
          }
        }
        const n = await channel.read(target);
        this.#loop._ioTurn();
        if (this.#closing || this.#abandoned()) return;
        // pauseReading() never cancels a read: what it returns waits here.
        if (this.#paused) await this.#untilResumed();
        if (this.#closing) return;
        if (n === null) {
          this.#eofReceived();
          return;
        }
        if (!this.#deliver(target, n)) return;
      }
    } catch (error) {
      // The channel was closed under a pending read, or the loop is gone.
      if (this.#closing || this.#abandoned()) return;
      if (isConnectionLostError(error)) this.#forceClose(error as Error);
      else this.#fatalError(error, "Fatal read error on socket transport");
    }
  }

  #deliver(target: Uint8Array, n: number): boolean {
    const protocol = this.#protocol;
    try {
      if (isBuffered(protocol)) protocol.bufferUpdated(n);
      else {
        (protocol as Protocol).dataReceived(
          copiesData(protocol) ? target.subarray(0, n) : copyBytes(target, 0, n),
        );
      }
      return true;
    } catch (error) {
      const method = isBuffered(protocol) ? "bufferUpdated" : "dataReceived";
      this.#fatalError(error, `Fatal error: protocol.${method}() call failed.`);
      return false;
    }
  }

  #deliverOwned(chunk: Uint8Array): boolean {
    try {
      (this.#protocol as Protocol).dataReceived(chunk);
      return true;
    } catch (error) {
      this.#fatalError(error, "Fatal error: protocol.dataReceived() call failed.");
      return false;
    }
  }

  #eofReceived(): void {
    if (this.#loop.getDebug()) logger.debug(`${this} received EOF`);
    let keepOpen: unknown;
    try {
      keepOpen = (this.#protocol as Protocol).eofReceived();
    } catch (error) {
      this.#fatalError(error, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    // A read pipe has nothing left to do after EOF, whatever the protocol says.
    if (!keepOpen || this.#mode === "read") this.close();
  }

  // ---- writing ---------------------------------------------------------------

  override write(data: Uint8Array): void {
    if (this.#mode === "read") throw new RuntimeError(`${this} is a read pipe: it cannot write`);
    if (this._sendfileInProgress) {
      throw new RuntimeError("unable to write; sendfile is in progress");
    }
    this.#write(toBytes(data), false);
  }

  /**
   * @internal `write()` of bytes that no one writes again (the TLS layer's
   * ciphertext): they are sent without a copy.
   */
  _writeOwned(bytes: Uint8Array): void {
    this.#write(bytes, true);
  }

  #write(bytes: Uint8Array, owned: boolean): void {
    if (this.#eofWritten) throw new RuntimeError("Cannot call write() after writeEof()");
    if (bytes.length === 0) return;
    if (this.#connLost) {
      if (this.#connLost >= CONNLOST_WRITES_BEFORE_WARNING) {
        logger.warning("socket.send() raised exception.");
      }
      this.#connLost++;
      return;
    }
    // A copy (unless handed over), so that the caller may reuse its buffer at once.
    if (this.#writing) {
      const copy = owned ? bytes : copyBytes(bytes, 0, bytes.length);
      this.#buffer.push(copy);
      this.#bufferSize += copy.length;
    } else {
      const copy = owned ? bytes : this.#idleCopy(bytes);
      this.#writing = true;
      this.#pendingWrite = copy.length;
      if (taskContext.getStore() === undefined) this.#writeLoop(copy);
      else outsideTasks(() => this.#writeLoop(copy));
    }
    this.#maybePauseProtocol();
  }

  // With no write in flight, the transport's own write buffer is free: a
  // large write is copied there instead of into a fresh buffer each time,
  // whose garbage collection dominated the 16 KiB echo (bench/echo profile).
  #writeBuffer: Uint8Array | null = null;
  // Only a Deno.Conn (or a channel that says so) is known to be done with
  // the bytes once its write resolves; a user's WritableStream (a pipe) may
  // keep the chunk.
  #ownsWrites = false;
  #isConn = false;

  #idleCopy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n <= SMALL_WRITE || n > MAX_WRITE_BUFFER || !this.#ownsWrites) {
      return copyBytes(bytes, 0, n);
    }
    let buffer = this.#writeBuffer;
    if (buffer === null || buffer.length < n) {
      buffer = new Uint8Array(Math.max(n, Math.min(MAX_WRITE_BUFFER, 2 * (buffer?.length ?? 0))));
      this.#writeBuffer = buffer;
    }
    buffer.set(bytes);
    return buffer.subarray(0, n);
  }

  async #writeLoop(first: Uint8Array): Promise<void> {
    const channel = this.#channel;
    let chunk = first;
    try {
      for (;;) {
        let offset = 0;
        while (offset < chunk.length) {
          offset += await channel.write(offset === 0 ? chunk : chunk.subarray(offset));
        }
        this.#loop._ioTurn();
        if (this.#calledConnectionLost || this.#pendingWrite === 0) return; // aborted
        if (this.#abandoned()) return;
        if (this.#bufferSize === 0) break;
        chunk = concatBytes(this.#buffer, this.#bufferSize);
        this.#buffer = [];
        this.#pendingWrite = this.#bufferSize;
        this.#bufferSize = 0;
        this.#maybeResumeProtocol();
      }
      this.#pendingWrite = 0;
      this.#writing = false;
      if (this.#closing) {
        this.#loop.callSoon(this.#callConnectionLost, null);
      } else if (this.#eofWritten) {
        await channel.closeWrite!();
      }
      // Last, since the protocol may write again at once.
      this.#maybeResumeProtocol();
    } catch (error) {
      this.#writing = false;
      if (this.#calledConnectionLost || this.#abandoned()) return;
      if (isConnectionLostError(error)) this.#forceClose(error as Error);
      else this.#fatalError(error, "Fatal write error on socket transport");
    }
  }

  override canWriteEof(): boolean {
    return this.#mode !== "read" && typeof this.#channel.closeWrite === "function";
  }

  override writeEof(): void {
    if (!this.canWriteEof()) {
      throw new RuntimeError(`${this.constructor.name} cannot write EOF`);
    }
    if (this._sendfileInProgress) {
      throw new RuntimeError("unable to write; sendfile is in progress");
    }
    if (this.#closing || this.#eofWritten) return;
    this.#eofWritten = true;
    if (this.#mode === "write") {
      // A write pipe has nothing left once its EOF is written: asyncio's
      // closes it, so `connectionLost` follows the flush.
      this.close();
      return;
    }
    if (!this.#writing) {
      this.#channel.closeWrite!().catch((error) => {
        if (!this.#closing) this.#fatalError(error, "Fatal error on writeEof()");
      });
    }
  }

  override getWriteBufferSize(): number {
    return this.#pendingWrite + this.#bufferSize;
  }

  override getWriteBufferLimits(): [number, number] {
    return this.#flow.limits();
  }

  override setWriteBufferLimits(high?: number, low?: number): void {
    this.#flow.setLimits(high, low);
    this.#maybePauseProtocol();
  }

  #maybePauseProtocol(): void {
    this.#flow.maybePause(this.getWriteBufferSize(), this.#protocol);
  }

  #maybeResumeProtocol(): void {
    this.#flow.maybeResume(this.getWriteBufferSize(), this.#protocol);
  }

  // ---- closing ---------------------------------------------------------------

  override close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#connLost++;
    if (!this.#writing) this.#loop.callSoon(this.#callConnectionLost, null);
    this.#resumeReader();
  }

  override abort(): void {
    this.#forceClose(null);
  }

  /**
   * @internal For sendfile: while set, sendfile writes to the connection
   * itself and `write()`/`writeEof()` throw `RuntimeError`, as asyncio's.
   */
  _sendfileInProgress = false;

  /** @internal For sendfile: the `Deno.Conn` this socket transport writes to, else null. */
  _directConn(): Deno.Conn | null {
    return this.#isConn && this.#mode === "both" ? this.#channel as Deno.Conn : null;
  }

  /** @internal For the TLS layer and sendfile: whether a write is in flight. */
  get _writing(): boolean {
    return this.#writing;
  }

  #fatalError(error: unknown, message: string): void {
    this.#forceClose(reportFatalError(this.#loop, this, this.#protocol, error, message));
  }

  #forceClose(error: Error | null): void {
    if (this.#closing && this.#calledConnectionLost) return;
    this.#closing = true;
    this.#connLost++;
    this.#buffer = [];
    this.#bufferSize = 0;
    this.#pendingWrite = 0;
    this.#resumeReader();
    this.#loop.callSoon(this.#callConnectionLost, error);
  }

  #callConnectionLost = (error: Error | null): void => {
    if (this.#calledConnectionLost) return;
    this.#calledConnectionLost = true;
    try {
      this.#protocol.connectionLost(error);
    } finally {
      try {
        this.#channel.close();
      } catch {
        // Already closed: by the peer's reset or by Deno.
      }
      const server = this.#server;
      this.#server = null;
      server?._detach(this);
    }
  };
}
