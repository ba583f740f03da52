/**
 * Pipe transports: `loop.connectReadPipe` and `loop.connectWritePipe` over
 * Web Streams (`Deno.stdin`, `Deno.stdout`, a `Deno.FsFile` on a FIFO, a
 * child's stdio), modelled on asyncio's pipe transports. They are the
 * socket transport in one direction: the same write buffer, water marks,
 * `writeEof` and `abort`.
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import type { ReadTransport, Transport, WriteTransport } from "./transports.ts";
import { type ByteChannel, StreamTransport } from "./_stream_transport.ts";
import { connectionMade } from "./_ops.ts";

/** What `connectReadPipe` reads: a byte stream, or an object with one as `readable`. */
export type ReadPipe = ReadableStream<Uint8Array> | { readable: ReadableStream<Uint8Array> };

/** What `connectWritePipe` writes to: a byte sink, or an object with one as `writable`. */
export type WritePipe = WritableStream<Uint8Array> | { writable: WritableStream<Uint8Array> };

/**
 * What `connectDuplexPipe` reads and writes: a pair of byte streams, as a
 * `Deno.Conn`, a `TransformStream` pair or a `WebSocketStream` connection has.
 */
export interface DuplexPipe {
  /** What the transport reads: the bytes for `dataReceived`. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Where the transport writes; `writeEof()` closes it. */
  readonly writable: WritableStream<Uint8Array>;
}

function readableOf(pipe: ReadPipe): ReadableStream<Uint8Array> {
  const stream = pipe instanceof ReadableStream ? pipe : pipe?.readable;
  if (!(stream instanceof ReadableStream)) {
    throw new TypeError(
      "connectReadPipe(): the pipe must be a ReadableStream, or have one as `readable` " +
        "(Deno.stdin, a Deno.FsFile, a child's stdout)",
    );
  }
  return stream;
}

function writableOf(pipe: WritePipe): WritableStream<Uint8Array> {
  const stream = pipe instanceof WritableStream ? pipe : pipe?.writable;
  if (!(stream instanceof WritableStream)) {
    throw new TypeError(
      "connectWritePipe(): the pipe must be a WritableStream, or have one as `writable` " +
        "(Deno.stdout, a Deno.FsFile, a child's stdin)",
    );
  }
  return stream;
}

/**
 * A ReadableStream as a channel: each read takes the next chunk, keeping
 * what does not fit in the caller's buffer for the next read. While the
 * transport is paused it does not read, so the stream stops pulling.
 */
export class ReadableChannel implements ByteChannel {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #rest: Uint8Array | null = null;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    let chunk = this.#rest;
    this.#rest = null;
    while (chunk === null || chunk.length === 0) {
      const { value, done } = await this.#reader.read();
      if (done) return null;
      chunk = value;
    }
    const n = Math.min(chunk.length, buffer.length);
    buffer.set(n === chunk.length ? chunk : chunk.subarray(0, n));
    if (n < chunk.length) this.#rest = chunk.subarray(n);
    return n;
  }

  write(): Promise<number> {
    return Promise.reject(new TypeError("a read pipe cannot write"));
  }

  close(): void {
    this.#reader.cancel().catch(() => {});
  }
}

/** A WritableStream as a channel: writes wait until the sink took the chunk. */
export class WritableChannel implements ByteChannel {
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #closed = false;

  constructor(stream: WritableStream<Uint8Array>) {
    this.#writer = stream.getWriter();
  }

  read(): Promise<number | null> {
    return Promise.reject(new TypeError("a write pipe cannot read"));
  }

  async write(data: Uint8Array): Promise<number> {
    await this.#writer.write(data);
    return data.length;
  }

  async closeWrite(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writer.close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close().catch(() => {});
  }
}

/** Both channels as one: reads from the readable, writes (and half-closes) the writable. */
class DuplexChannel implements ByteChannel {
  #reads: ReadableChannel;
  #writes: WritableChannel;

  constructor(pipe: DuplexPipe) {
    this.#reads = new ReadableChannel(pipe.readable);
    this.#writes = new WritableChannel(pipe.writable);
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#reads.read(buffer);
  }

  write(data: Uint8Array): Promise<number> {
    return this.#writes.write(data);
  }

  closeWrite(): Promise<void> {
    return this.#writes.closeWrite();
  }

  close(): void {
    this.#reads.close();
    this.#writes.close();
  }
}

/** Wraps a pipe's channel in a transport and waits until `connectionMade` ran. */
export async function makePipeTransport<P extends BaseProtocol>(
  loop: EventLoop,
  channel: ByteChannel,
  mode: "read" | "write" | "both",
  protocolFactory: () => P,
  extra: Record<string, unknown>,
): Promise<[StreamTransport, P]> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a protocol");
  }
  const protocol = protocolFactory();
  const waiter = loop.createFuture<void>();
  const transport = new StreamTransport(loop, channel, protocol, { extra, waiter, mode });
  return await connectionMade(waiter, transport, protocol);
}

/** `loop.connectReadPipe`: reads the pipe into the protocol's `dataReceived`. */
export async function connectReadPipe<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  pipe: ReadPipe,
): Promise<[ReadTransport, P]> {
  const stream = readableOf(pipe);
  return await makePipeTransport(loop, new ReadableChannel(stream), "read", protocolFactory, {
    pipe,
  });
}

/** `loop.connectWritePipe`: a write transport onto the pipe. */
export async function connectWritePipe<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  pipe: WritePipe,
): Promise<[WriteTransport, P]> {
  const stream = writableOf(pipe);
  return await makePipeTransport(loop, new WritableChannel(stream), "write", protocolFactory, {
    pipe,
  });
}

/**
 * `loop.connectDuplexPipe`: a full transport over a `{ readable, writable }`
 * pair, both directions at once, with `writeEof` closing the writable.
 */
export async function connectDuplexPipe<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  pipe: DuplexPipe,
): Promise<[Transport, P]> {
  if (!(pipe?.readable instanceof ReadableStream) || !(pipe?.writable instanceof WritableStream)) {
    throw new TypeError(
      "connectDuplexPipe(): the pipe must have a ReadableStream as `readable` and a " +
        "WritableStream as `writable` (a Deno.Conn, a pair of TransformStreams)",
    );
  }
  return await makePipeTransport(loop, new DuplexChannel(pipe), "both", protocolFactory, {
    pipe,
  });
}
