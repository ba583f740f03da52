/**
 * A connection as a pair of Web Streams: `WebStreamProtocol` gives any
 * stream transport (TCP, Unix, TLS, pipes) a `readable` and a `writable`,
 * so `fetch` bodies, files, `CompressionStream` and `pipeTo` plug straight
 * into it. Back-pressure runs both ways: a slow consumer of `readable`
 * pauses the transport's reading, and writes to `writable` wait while the
 * transport's write buffer is above its high-water mark.
 *
 * The other direction, a `{ readable, writable }` pair as a transport, is
 * `loop.connectDuplexPipe`.
 *
 * @module
 */
import { Protocol } from "./protocols.ts";
import type { Transport } from "../transports/transports.ts";

/** Options of `WebStreamProtocol`. */
export interface WebStreamProtocolOptions {
  /**
   * Bytes `readable` queues before the transport pauses reading (64 KiB by
   * default). Reading resumes once the consumer has taken them.
   */
  highWaterMark?: number;
}

/**
 * A stream protocol that exposes its connection as `readable` (the bytes
 * received, ending at the peer's EOF) and `writable` (closing it sends EOF
 * when the transport can, and closes the connection otherwise). Cancelling
 * `readable` or aborting `writable` closes the connection; a connection
 * lost with an error errors both streams. As with a `Deno.Conn`, the end of
 * `readable` leaves the connection open for writing: close `writable` when
 * done (a `pipeTo` into it does so), or the connection stays half-open.
 *
 * @example An echo server in one line: the connection's bytes piped back into it
 * ```ts
 * import { getRunningLoop, openConnection, run, WebStreamProtocol } from "@asyncio/asyncio";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const server = await loop.createServer(() => {
 *     const protocol = new WebStreamProtocol();
 *     protocol.readable.pipeTo(protocol.writable).catch(() => {});
 *     return protocol;
 *   }, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [reader, writer] = await openConnection("127.0.0.1", port);
 *   writer.write(new TextEncoder().encode("hello"));
 *   writer.writeEof();
 *   console.log(new TextDecoder().decode(await reader.read())); // "hello"
 *   writer.close();
 *   server.close();
 *   await server.waitClosed();
 * });
 * ```
 */
export class WebStreamProtocol extends Protocol {
  /** The bytes received, ending when the peer sends EOF. */
  readonly readable: ReadableStream<Uint8Array<ArrayBuffer>>;
  /** Bytes to send; `close()` sends EOF (or closes), `abort()` aborts the connection. */
  readonly writable: WritableStream<Uint8Array>;

  #transport: Transport | null = null;
  #connected = Promise.withResolvers<Transport>();
  #reads!: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>;
  #writes!: WritableStreamDefaultController;
  #readEnded = false;
  #writeEnded = false;
  #readingPaused = false;
  #lost = false;
  #lostError: Error | null = null;
  // Set while the transport's write buffer is above its high-water mark.
  #drained: PromiseWithResolvers<void> | null = null;

  /** Makes the protocol; its streams work once a transport has called `connectionMade`. */
  constructor(options: WebStreamProtocolOptions = {}) {
    super();
    const { highWaterMark = 64 * 1024 } = options;
    if (typeof highWaterMark !== "number" || !(highWaterMark >= 0)) {
      throw new RangeError("highWaterMark must be a number of bytes >= 0");
    }
    // Nothing is lost if a writer gives up before the connection is made.
    this.#connected.promise.catch(() => {});
    this.readable = new ReadableStream<Uint8Array<ArrayBuffer>>({
      start: (controller) => {
        this.#reads = controller;
      },
      pull: () => {
        if (this.#readingPaused && this.#transport && !this.#transport.isClosing()) {
          this.#readingPaused = false;
          this.#transport.resumeReading();
        }
      },
      cancel: () => {
        this.#readEnded = true;
        this.#transport?.close();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark }));
    this.writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.#writes = controller;
      },
      write: (chunk) => this.#write(chunk),
      close: async () => {
        const transport = this.#transport ?? await this.#connected.promise;
        this.#writeEnded = true;
        if (this.#lost) throw this.#lostError ?? new Deno.errors.BrokenPipe("connection closed");
        if (transport.canWriteEof() && !this.#readEnded) transport.writeEof();
        else transport.close();
      },
      abort: () => {
        this.#writeEnded = true;
        this.#transport?.abort();
      },
    });
  }

  /** Starts the streams on `transport`. */
  override connectionMade(transport: Transport): void {
    this.#transport = transport;
    this.#connected.resolve(transport);
  }

  /** Queues `data` on `readable`, pausing the transport once the queue is full. */
  override dataReceived(data: Uint8Array): void {
    if (this.#readEnded) return;
    // Received bytes never live in a SharedArrayBuffer.
    this.#reads.enqueue(data as Uint8Array<ArrayBuffer>);
    if ((this.#reads.desiredSize ?? 1) <= 0 && !this.#readingPaused) {
      this.#readingPaused = true;
      this.#transport!.pauseReading();
    }
  }

  /** Ends `readable`; the connection stays open until `writable` is closed. */
  override eofReceived(): boolean {
    if (!this.#readEnded) {
      this.#readEnded = true;
      this.#reads.close();
    }
    // Stay open for writing until `writable` is closed.
    return !this.#writeEnded;
  }

  /** Holds further writes to `writable` until the buffer drains. */
  override pauseWriting(): void {
    if (this.#drained) return;
    this.#drained = Promise.withResolvers<void>();
    // A loss while no write waits is reported by the streams, not here.
    this.#drained.promise.catch(() => {});
  }

  /** Lets writes to `writable` go on. */
  override resumeWriting(): void {
    this.#drained?.resolve();
    this.#drained = null;
  }

  /** Ends `readable` (or errors it with `exc`) and errors `writable`. */
  override connectionLost(exc: Error | null): void {
    this.#lost = true;
    this.#lostError = exc;
    this.#connected.reject(exc ?? new Deno.errors.BrokenPipe("connection closed"));
    if (!this.#readEnded) {
      this.#readEnded = true;
      if (exc) this.#reads.error(exc);
      else this.#reads.close();
    }
    const lost = exc ?? new Deno.errors.BrokenPipe("the connection is closed");
    if (!this.#writeEnded) {
      this.#writeEnded = true;
      this.#writes.error(lost);
    }
    this.#drained?.reject(lost);
    this.#drained = null;
  }

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(
        `WebStreamProtocol.writable takes Uint8Array chunks, not ${typeof chunk}`,
      );
    }
    const transport = this.#transport ?? await this.#connected.promise;
    if (this.#lost) throw this.#lostError ?? new Deno.errors.BrokenPipe("connection closed");
    transport.write(chunk);
    // The next chunk waits until the transport's buffer has drained.
    if (this.#drained) await this.#drained.promise;
  }
}
