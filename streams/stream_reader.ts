/**
 * `StreamReader`: buffered reading from a connection, as asyncio's.
 *
 * @module
 */
import { IncompleteReadError, LimitOverrunError, RuntimeError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import { currentEventLoop } from "../loop/_running.ts";
import { NotImplementedError } from "../loop/exceptions.ts";
import type { ReadTransport } from "../transports/transports.ts";
import { concatBytes, toBytes } from "../transports/_bytes.ts";
import { ByteBuffer } from "./_byte_buffer.ts";
import { StreamTransport } from "../transports/_stream_transport.ts";
import { ReadableChannel } from "../transports/pipes.ts";
import { StreamReaderProtocol } from "./stream_reader_protocol.ts";

/**
 * The default buffer limit of streams: 64 KiB, as asyncio's.
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMIT, run, StreamReader } from "@asyncio/asyncio";
 * await run(() => {
 *   console.log(new StreamReader().limit === DEFAULT_LIMIT); // true
 * });
 * ```
 */
export const DEFAULT_LIMIT = 2 ** 16;

const NEWLINE = new Uint8Array([10]);

function checkLimit(limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) {
    throw new RangeError(`Limit cannot be <= 0 (a positive integer of bytes), got ${limit}`);
  }
  return limit;
}

function checkCount(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new TypeError(`${what} takes an integer number of bytes, got ${n}`);
  }
  return n;
}

/**
 * Reads from a connection: `read`, `readline`, `readexactly`, `readuntil`
 * and `for await` over its lines. `openConnection` and `startServer` make
 * one per connection; when its buffer holds more than twice its `limit`,
 * it pauses the transport's reading until the program has read it down.
 *
 * @example
 * ```ts
 * import { run, StreamReader } from "@asyncio/asyncio";
 * await run(async () => {
 *   const reader = new StreamReader();
 *   reader.feedData(new TextEncoder().encode("first line\nsecond"));
 *   reader.feedEof();
 *   for await (const line of reader) {
 *     console.log(new TextDecoder().decode(line)); // "first line\n", then "second"
 *   }
 * });
 * ```
 */
export class StreamReader implements AsyncIterable<Uint8Array> {
  #limit: number;
  #loop: EventLoop;
  #buffer = new ByteBuffer();
  #eof = false;
  #waiter: Future<void> | null = null;
  #exception: unknown = null;
  #transport: ReadTransport | null = null;
  #paused = false;

  /** Creates a reader whose lines and separators may be `limit` bytes long. */
  constructor(limit: number = DEFAULT_LIMIT, loop?: EventLoop) {
    this.#limit = checkLimit(limit);
    this.#loop = loop ?? currentEventLoop();
  }

  /** The buffer limit in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** A description such as `<StreamReader 12 bytes eof>`. */
  toString(): string {
    const parts = ["StreamReader"];
    if (this.#buffer.length > 0) parts.push(`${this.#buffer.length} bytes`);
    if (this.#eof) parts.push("eof");
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#waiter !== null) parts.push("waiting");
    if (this.#exception !== null) parts.push(`exception=${this.#exception}`);
    if (this.#paused) parts.push("paused");
    return `<${parts.join(" ")}>`;
  }

  /** The exception set with `setException`, or `null`. */
  exception(): unknown {
    return this.#exception;
  }

  /** Makes pending and later reads throw `exc`. */
  setException(exc: unknown): void {
    this.#exception = exc;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (!waiter.cancelled()) waiter.setException(exc);
    }
  }

  /** @internal Binds the transport whose reading the reader may pause. */
  setTransport(transport: ReadTransport): void {
    if (this.#transport !== null) throw new RuntimeError("Transport already set");
    this.#transport = transport;
  }

  /** Marks the end of the data: reads return what is left, then nothing. */
  feedEof(): void {
    this.#eof = true;
    this.#wakeupWaiter();
  }

  /** Whether the data has ended and the buffer is empty. */
  atEof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /** Adds bytes to the buffer (copied), as the protocol does with what arrives. */
  feedData(data: Uint8Array): void {
    const bytes = toBytes(data);
    if (this.#eof) throw new RuntimeError("feedData after feedEof");
    if (bytes.length === 0) return;
    this.#buffer.append(bytes);
    this.#wakeupWaiter();
    if (
      this.#transport !== null && !this.#paused && this.#buffer.length > 2 * this.#limit
    ) {
      try {
        this.#transport.pauseReading();
        this.#paused = true;
      } catch (error) {
        if (!(error instanceof NotImplementedError)) throw error;
        this.#transport = null;
      }
    }
  }

  #wakeupWaiter(): void {
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (!waiter.cancelled()) waiter.setResult();
    }
  }

  #maybeResumeTransport(): void {
    if (this.#paused && this.#buffer.length <= this.#limit) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
  }

  // Waits until data or EOF arrives. Only one coroutine may wait at a time.
  async #waitForData(functionName: string): Promise<void> {
    if (this.#waiter !== null) {
      throw new RuntimeError(
        `${functionName}() called while another coroutine is already waiting for incoming data`,
      );
    }
    // Waiting while paused would deadlock: readexactly(n) with n > limit.
    if (this.#paused) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
    const waiter = this.#loop.createFuture<void>();
    this.#waiter = waiter;
    try {
      await waiter;
    } finally {
      if (this.#waiter === waiter) this.#waiter = null;
    }
  }

  /**
   * Reads one line, up to and including `\n`. At EOF it returns the partial
   * line (an empty array when nothing is left). A line longer than the limit
   * throws `RangeError` (Python's `ValueError`) and is dropped.
   */
  async readline(): Promise<Uint8Array> {
    // The common case first: a whole line is buffered.
    if (this.#exception === null) {
      const end = this.#buffer.indexOf(NEWLINE, 0);
      if (end !== -1 && end <= this.#limit) {
        const line = this.#buffer.take(end + 1);
        this.#maybeResumeTransport();
        return line;
      }
    }
    try {
      return await this.readuntil(NEWLINE);
    } catch (error) {
      if (error instanceof IncompleteReadError) return error.partial;
      if (error instanceof LimitOverrunError) {
        // Only what the error reported: data fed since then is kept (in
        // Python nothing can arrive between the raise and this cleanup).
        if (this.#buffer.startsWith(NEWLINE, error.consumed)) {
          this.#buffer.drop(error.consumed + NEWLINE.length);
        } else {
          this.#buffer.drop(error.consumed);
        }
        this.#maybeResumeTransport();
        throw new RangeError(error.message, { cause: error });
      }
      throw error;
    }
  }

  /**
   * Reads up to and including `separator`, or the first of several
   * separators to end in the data (an array of them, as Python 3.13's
   * tuple). At EOF without a separator: `IncompleteReadError` with the
   * partial data. Beyond the limit: `LimitOverrunError`, the data staying in
   * the buffer.
   */
  async readuntil(separator: Uint8Array | Uint8Array[] = NEWLINE): Promise<Uint8Array> {
    const separators = Array.isArray(separator)
      ? separator.map((s) => toBytes(s, "separator")).sort((a, b) => a.length - b.length)
      : [toBytes(separator, "separator")];
    if (separators.length === 0) {
      throw new RangeError("Separator should contain at least one element");
    }
    const minLength = separators[0].length;
    const maxLength = separators[separators.length - 1].length;
    if (minLength === 0) throw new RangeError("Separator should be at least one-byte string");
    if (this.#exception !== null) throw this.#exception;

    // No separator ends before `offset`.
    let offset = 0;
    let matchEnd = -1;
    let matchStart = -1;
    for (;;) {
      const length = this.#buffer.length;
      if (length - offset >= minLength) {
        for (const sep of separators) {
          const found = this.#buffer.indexOf(sep, offset);
          if (found !== -1 && (matchEnd === -1 || found + sep.length < matchEnd)) {
            matchEnd = found + sep.length;
            matchStart = found;
          }
        }
        if (matchEnd !== -1) break;
        offset = Math.max(0, length + 1 - maxLength);
        if (offset > this.#limit) {
          throw new LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
      }
      // A last chunk may complete a separator: EOF is checked after the search.
      if (this.#eof) {
        const partial = this.#buffer.take(this.#buffer.length);
        throw new IncompleteReadError(partial, null);
      }
      await this.#waitForData("readuntil");
      if (this.#exception !== null) throw this.#exception;
    }
    if (matchStart > this.#limit) {
      throw new LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart);
    }
    const chunk = this.#buffer.take(matchEnd);
    this.#maybeResumeTransport();
    return chunk;
  }

  /**
   * Reads at most `n` bytes; with `n = -1` (the default) everything up to
   * EOF. `read(0)` gives an empty array at once. At EOF it gives an empty
   * array.
   */
  async read(n = -1): Promise<Uint8Array> {
    checkCount(n, "read()");
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return new Uint8Array(0);
    if (n < 0) {
      const blocks: Uint8Array[] = [];
      let size = 0;
      for (;;) {
        const block = await this.read(this.#limit);
        if (block.length === 0) break;
        blocks.push(block);
        size += block.length;
      }
      return blocks.length === 0 ? new Uint8Array(0) : concatBytes(blocks, size);
    }
    if (this.#buffer.length === 0 && !this.#eof) {
      await this.#waitForData("read");
      if (this.#exception !== null) throw this.#exception;
    }
    const data = this.#buffer.take(n);
    this.#maybeResumeTransport();
    return data;
  }

  /**
   * Reads exactly `n` bytes. At EOF before that: `IncompleteReadError` with
   * the bytes read (`partial`) and `n` (`expected`).
   */
  async readexactly(n: number): Promise<Uint8Array> {
    checkCount(n, "readexactly()");
    if (n < 0) throw new RangeError("readexactly size can not be less than zero");
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return new Uint8Array(0);
    while (this.#buffer.length < n) {
      if (this.#eof) {
        const partial = this.#buffer.take(this.#buffer.length);
        throw new IncompleteReadError(partial, n);
      }
      await this.#waitForData("readexactly");
      if (this.#exception !== null) throw this.#exception;
    }
    const data = this.#buffer.take(n);
    this.#maybeResumeTransport();
    return data;
  }

  /**
   * A reader fed by a Web `ReadableStream` (a `fetch` body, `Deno.stdin`, a
   * file, a `DecompressionStream`...). It pulls from the stream only while
   * its buffer holds at most twice its `limit`, so a slow program leaves
   * the rest in the stream.
   *
   * @example
   * ```ts
   * import { run, StreamReader } from "@asyncio/asyncio";
   * await run(async () => {
   *   const body = new Response("one\ntwo\n").body!;
   *   const reader = StreamReader.fromReadable(body);
   *   console.log(new TextDecoder().decode(await reader.readline())); // "one\n"
   * });
   * ```
   */
  static fromReadable(
    readable: ReadableStream<Uint8Array>,
    limit: number = DEFAULT_LIMIT,
    loop?: EventLoop,
  ): StreamReader {
    if (!(readable instanceof ReadableStream)) {
      throw new TypeError("fromReadable() takes a ReadableStream");
    }
    const target = loop ?? currentEventLoop();
    const reader = new StreamReader(limit, target);
    const protocol = new StreamReaderProtocol(reader, null, target);
    new StreamTransport(target, new ReadableChannel(readable), protocol, {
      extra: { pipe: readable },
      mode: "read",
    });
    return reader;
  }

  /**
   * The reader's data as a Web `ReadableStream`, for `pipeTo`,
   * `pipeThrough(new CompressionStream("gzip"))`, `new Response(...)`...
   * It reads from the reader as the consumer pulls, so a slow consumer
   * leaves the data in the reader, which then pauses its transport.
   * Cancelling the stream stops reading; it does not close the connection.
   *
   * @example
   * ```ts
   * import { run, StreamReader } from "@asyncio/asyncio";
   * await run(async () => {
   *   const reader = new StreamReader();
   *   reader.feedData(new TextEncoder().encode("hello"));
   *   reader.feedEof();
   *   console.log(await new Response(reader.readable).text()); // "hello"
   * });
   * ```
   */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    return this.#readable ??= new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const chunk = await this.read(this.#limit);
        if (chunk.length === 0) controller.close();
        // What read() returns is the reader's own copy, never shared memory.
        else controller.enqueue(chunk as Uint8Array<ArrayBuffer>);
      },
    }, { highWaterMark: 0 });
  }

  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;

  /** `for await (const line of reader)`: the lines until EOF, as Python's `async for`. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }
}
