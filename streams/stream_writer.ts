/**
 * `StreamWriter`: writing to a connection, with `drain()` for flow control,
 * as asyncio's.
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import { sleep } from "../loop/sleep.ts";
import { shield } from "../loop/shield.ts";
import type { Transport } from "../transports/transports.ts";
import type { SSLContext } from "../transports/_tls_context.ts";
import type { StreamReader } from "./stream_reader.ts";
import { StreamReaderProtocol } from "./stream_reader_protocol.ts";
import { StreamTransport } from "../transports/_stream_transport.ts";
import { WritableChannel } from "../transports/pipes.ts";
import { currentEventLoop } from "../loop/_running.ts";

/** Options of `StreamWriter.startTls`, Python's keyword arguments. */
export interface StreamStartTlsOptions {
  /** The client's name for the server: sent (SNI) and checked against its certificate. */
  serverHostname?: string | null;
  /** Seconds the handshake may take (60 by default). */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take when closing (30 by default). */
  sslShutdownTimeout?: number | null;
}

/**
 * Writes to a connection. `write` never blocks; `await drain()` waits while
 * the transport's buffer is above its high-water mark. `await using
 * writer = ...` closes the connection and waits until it is closed.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@asyncio/asyncio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *     await writer.drain();
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [reader, writer] = await openConnection("127.0.0.1", port);
 *   writer.write(new TextEncoder().encode("hello\n"));
 *   await writer.drain();
 *   console.log(new TextDecoder().decode(await reader.readline())); // "hello\n"
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export class StreamWriter {
  #transport: Transport;
  #protocol: StreamReaderProtocol;
  #reader: StreamReader | null;
  #loop: EventLoop;

  /** Wraps a transport and its `StreamReaderProtocol`; `openConnection` makes one. */
  constructor(
    transport: Transport,
    protocol: StreamReaderProtocol,
    reader: StreamReader | null,
    loop: EventLoop,
  ) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
    this.#loop = loop;
  }

  /** The transport underneath. */
  get transport(): Transport {
    return this.#transport;
  }

  /** A description such as `<StreamWriter transport=...>`. */
  toString(): string {
    return `<StreamWriter transport=${this.#transport}${
      this.#reader === null ? "" : ` reader=${this.#reader}`
    }>`;
  }

  /** Writes bytes (buffered; see `drain`). A string is a `TypeError`. */
  write(data: Uint8Array): void {
    this.#transport.write(data);
  }

  /** Writes each chunk in turn. */
  writelines(data: Iterable<Uint8Array>): void {
    this.#transport.writelines(data);
  }

  /** Closes the write side once the buffer is flushed. */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /** Whether `writeEof()` is supported. */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /** Closes the connection once the buffer is flushed; see `waitClosed`. */
  close(): void {
    this.#transport.close();
  }

  /** Whether the connection is closing or closed. */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /** Waits until the connection is closed; throws the error it was lost with, if any. */
  async waitClosed(): Promise<void> {
    // Shielded: cancelling one waitClosed() must not cancel the connection's
    // close future that every later waitClosed() awaits (CPython's does).
    await shield(this.#protocol._getCloseWaiter());
  }

  /** Information about the connection, as `transport.getExtraInfo`. */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T | undefined {
    return this.#transport.getExtraInfo<T>(name, defaultValue);
  }

  /**
   * Waits until it is fine to write again: at once unless the transport's
   * buffer is above its high-water mark. Throws the connection's error once
   * it is lost (`Deno.errors.ConnectionReset` when it went without one).
   */
  async drain(): Promise<void> {
    const exc = this.#reader?.exception() ?? null;
    if (exc !== null) throw exc;
    if (this.#transport.isClosing()) {
      // Let connectionLost() run, so that a loop of write() and drain()
      // on a closed connection sees the error.
      await sleep(0);
    }
    await this.#protocol._drainHelper();
  }

  /**
   * Upgrades the connection to TLS (STARTTLS), as `loop.startTls`: as the
   * server side for a writer that `startServer` made, as the client side
   * otherwise. Waits for the buffer to drain first; from then on the writer
   * and its reader go through TLS. A handshake that does not complete in
   * `sslHandshakeTimeout` seconds rejects with `Deno.errors.ConnectionAborted`.
   *
   * @example
   * ```ts
   * import { createDefaultContext, openConnection, run, startServer } from "@asyncio/asyncio";
   * await run(async () => {
   *   // A server that never answers the TLS handshake.
   *   await using server = await startServer(async (reader, writer) => {
   *     await reader.read();
   *     writer.close();
   *   }, "127.0.0.1", 0);
   *   const [, port] = server.sockets[0].getsockname() as [string, number];
   *   const [, writer] = await openConnection("127.0.0.1", port);
   *   try {
   *     await writer.startTls(createDefaultContext(), {
   *       serverHostname: "localhost",
   *       sslHandshakeTimeout: 0.1,
   *     });
   *   } catch (error) {
   *     console.log(error instanceof Deno.errors.ConnectionAborted); // true
   *   }
   * });
   * ```
   */
  async startTls(sslcontext: SSLContext, options: StreamStartTlsOptions = {}): Promise<void> {
    const serverSide = this.#protocol._isServerSide();
    const protocol = this.#protocol;
    await this.drain();
    const transport = await this.#loop.startTls(this.#transport, protocol, sslcontext, {
      serverSide,
      serverHostname: options.serverHostname,
      sslHandshakeTimeout: options.sslHandshakeTimeout,
      sslShutdownTimeout: options.sslShutdownTimeout,
    });
    this.#transport = transport;
    protocol._replaceWriter(this);
  }

  /**
   * A writer onto a Web `WritableStream` (a file, `Deno.stdout`, a
   * `CompressionStream`'s writable side...): `write` buffers, `drain()` waits
   * while more than the high-water mark waits for the stream, and
   * `close()` closes the stream once everything is written.
   *
   * @example
   * ```ts
   * import { run, StreamWriter } from "@asyncio/asyncio";
   * await run(async () => {
   *   const chunks: string[] = [];
   *   const writer = StreamWriter.fromWritable(new WritableStream({
   *     write(chunk) {
   *       chunks.push(new TextDecoder().decode(chunk));
   *     },
   *   }));
   *   writer.write(new TextEncoder().encode("hello"));
   *   await writer.drain();
   *   writer.close();
   *   await writer.waitClosed();
   *   console.log(chunks.join("")); // "hello"
   * });
   * ```
   */
  static fromWritable(writable: WritableStream<Uint8Array>, loop?: EventLoop): StreamWriter {
    if (!(writable instanceof WritableStream)) {
      throw new TypeError("fromWritable() takes a WritableStream");
    }
    const target = loop ?? currentEventLoop();
    const protocol = new StreamReaderProtocol(null, null, target);
    const transport = new StreamTransport(target, new WritableChannel(writable), protocol, {
      extra: { pipe: writable },
      mode: "write",
    });
    return new StreamWriter(transport, protocol, null, target);
  }

  /**
   * The writer as a Web `WritableStream`, for `readable.pipeTo(...)`: each
   * chunk is written and drained, so a slow connection slows the pipe;
   * closing the stream writes EOF (half-closes a socket), aborting it
   * aborts the connection.
   *
   * @example
   * ```ts
   * import { run, StreamWriter } from "@asyncio/asyncio";
   * await run(async () => {
   *   let text = "";
   *   const writer = StreamWriter.fromWritable(new WritableStream({
   *     write(chunk) {
   *       text += new TextDecoder().decode(chunk);
   *     },
   *   }));
   *   await new Response("piped").body!.pipeTo(writer.writable);
   *   await writer.waitClosed();
   *   console.log(text); // "piped"
   * });
   * ```
   */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: async (chunk) => {
        this.write(chunk);
        await this.drain();
      },
      close: async () => {
        if (this.canWriteEof()) this.writeEof();
        else this.close();
        // A pipe closes at EOF; a socket stays open for reading, flushed.
        if (this.isClosing()) await this.waitClosed();
        else await this.drain();
      },
      abort: () => {
        this.#transport.abort();
      },
    });
  }

  #writable: WritableStream<Uint8Array> | null = null;

  /** `await using writer = ...`: closes and waits until closed (ignoring its error). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    try {
      await this.waitClosed();
    } catch {
      // The connection is gone either way; its error was for readers.
    }
  }

  /** @internal */
  get _loop(): EventLoop {
    return this.#loop;
  }
}
