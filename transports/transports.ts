/**
 * The transport interfaces of asyncio's `transports.py`: what a protocol
 * can do with its connection. The loop's methods return concrete
 * transports; these classes are their types, and their methods throw
 * `NotImplementedError` until a subclass provides them.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import { concatBytes } from "./_bytes.ts";

function missing(cls: string, method: string): never {
  throw new NotImplementedError(`${cls}.${method}() is not implemented by this transport`);
}

/**
 * What every transport has: extra information, closing, and its protocol.
 * `using transport = ...` closes it at the end of the block.
 *
 * @example
 * ```ts
 * import { BaseTransport } from "@asyncio/asyncio";
 * const transport = new BaseTransport({ peername: ["127.0.0.1", 8888] });
 * console.log(transport.getExtraInfo("peername")); // ["127.0.0.1", 8888]
 * console.log(transport.getExtraInfo("nothing", "default")); // "default"
 * ```
 */
export class BaseTransport {
  /** @internal */
  _extra: Record<string, unknown>;

  /** Creates the transport with its extra information. */
  constructor(extra: Record<string, unknown> = {}) {
    this._extra = extra;
  }

  /**
   * Information about the connection: `peername`, `sockname`, `socket`
   * (the `Deno.Conn`), ... or `defaultValue` for a name it does not know.
   */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T | undefined {
    return name in this._extra ? this._extra[name] as T : defaultValue;
  }

  /** Whether the transport is closing or closed. */
  isClosing(): boolean {
    return missing("BaseTransport", "isClosing");
  }

  /** Closes the transport: buffered data is flushed, then `connectionLost(null)`. */
  close(): void {
    missing("BaseTransport", "close");
  }

  /** Sets a new protocol; the next callbacks go to it. */
  setProtocol(_protocol: BaseProtocol): void {
    missing("BaseTransport", "setProtocol");
  }

  /** The current protocol. */
  getProtocol(): BaseProtocol {
    return missing("BaseTransport", "getProtocol");
  }

  /** `using transport = ...` closes the transport at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The read side of a transport.
 *
 * @example
 * ```ts
 * import { ReadTransport, Transport } from "@asyncio/asyncio";
 * console.log(Transport.prototype instanceof ReadTransport); // true
 * ```
 */
export class ReadTransport extends BaseTransport {
  /** Whether the transport is receiving (not paused). */
  isReading(): boolean {
    return missing("ReadTransport", "isReading");
  }

  /** Stops calling `dataReceived` until `resumeReading()`; nothing is lost. */
  pauseReading(): void {
    missing("ReadTransport", "pauseReading");
  }

  /** Resumes calling `dataReceived`, starting with what arrived meanwhile. */
  resumeReading(): void {
    missing("ReadTransport", "resumeReading");
  }
}

/**
 * The write side of a transport. `write` never blocks: data is buffered and
 * the protocol's `pauseWriting()`/`resumeWriting()` say when to stop and
 * start again. A `Transport` is also a `WriteTransport` for `instanceof`.
 *
 * @example
 * ```ts
 * import { Transport, WriteTransport } from "@asyncio/asyncio";
 * console.log(Object.create(Transport.prototype) instanceof WriteTransport); // true
 * ```
 */
export class WriteTransport extends BaseTransport {
  /** `instanceof WriteTransport` holds for every `Transport` too. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return this === WriteTransport && value instanceof Transport;
  }

  /**
   * Sets the high- and low-water marks of the write buffer, in bytes. With
   * none given, 64 KiB and a quarter of it; `RangeError` unless
   * `high >= low >= 0`.
   */
  setWriteBufferLimits(_high?: number, _low?: number): void {
    missing("WriteTransport", "setWriteBufferLimits");
  }

  /** The bytes buffered and in flight. */
  getWriteBufferSize(): number {
    return missing("WriteTransport", "getWriteBufferSize");
  }

  /** `[low, high]`, the water marks of the write buffer. */
  getWriteBufferLimits(): [number, number] {
    return missing("WriteTransport", "getWriteBufferLimits");
  }

  /** Writes bytes, without blocking; a string is a `TypeError`. */
  write(_data: Uint8Array): void {
    missing("WriteTransport", "write");
  }

  /** Writes each chunk in turn, as one write of their concatenation. */
  writelines(listOfData: Iterable<Uint8Array>): void {
    const chunks = [...listOfData];
    let size = 0;
    for (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`data must be a Uint8Array, not ${typeof chunk}`);
      }
      size += chunk.length;
    }
    this.write(concatBytes(chunks, size));
  }

  /** Closes the write side after the buffer is flushed (a half-close). */
  writeEof(): void {
    missing("WriteTransport", "writeEof");
  }

  /** Whether `writeEof()` is supported. */
  canWriteEof(): boolean {
    return missing("WriteTransport", "canWriteEof");
  }

  /** Closes at once, dropping the buffer; `connectionLost(null)` follows. */
  abort(): void {
    missing("WriteTransport", "abort");
  }
}

/**
 * A bidirectional stream transport (TCP, Unix socket): the methods of
 * `ReadTransport` and `WriteTransport`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, run, type Transport } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [transport]: [Transport, Protocol] = await loop.createConnection(
 *     () => new Protocol(),
 *     "127.0.0.1",
 *     port,
 *   );
 *   console.log(transport.getWriteBufferLimits()); // [16384, 65536]
 *   transport.close();
 *   server.close();
 *   await server.waitClosed();
 * });
 * ```
 */
export class Transport extends ReadTransport {
  /** See `WriteTransport.setWriteBufferLimits`. */
  setWriteBufferLimits(_high?: number, _low?: number): void {
    missing("Transport", "setWriteBufferLimits");
  }
  /** See `WriteTransport.getWriteBufferSize`. */
  getWriteBufferSize(): number {
    return missing("Transport", "getWriteBufferSize");
  }
  /** See `WriteTransport.getWriteBufferLimits`. */
  getWriteBufferLimits(): [number, number] {
    return missing("Transport", "getWriteBufferLimits");
  }
  /** See `WriteTransport.write`. */
  write(_data: Uint8Array): void {
    missing("Transport", "write");
  }
  /** See `WriteTransport.writelines`. */
  writelines(listOfData: Iterable<Uint8Array>): void {
    WriteTransport.prototype.writelines.call(this, listOfData);
  }
  /** See `WriteTransport.writeEof`. */
  writeEof(): void {
    missing("Transport", "writeEof");
  }
  /** See `WriteTransport.canWriteEof`. */
  canWriteEof(): boolean {
    return missing("Transport", "canWriteEof");
  }
  /** See `WriteTransport.abort`. */
  abort(): void {
    missing("Transport", "abort");
  }
}

/**
 * A datagram (UDP) transport.
 *
 * @example
 * ```ts
 * import { BaseTransport, DatagramTransport } from "@asyncio/asyncio";
 * console.log(DatagramTransport.prototype instanceof BaseTransport); // true
 * ```
 */
export class DatagramTransport extends BaseTransport {
  /** Sends `data` to `addr` (or to the remote address the endpoint is connected to). */
  sendto(_data: Uint8Array, _addr?: [string, number] | string | null): void {
    missing("DatagramTransport", "sendto");
  }
  /** The bytes of the datagrams queued to send. */
  getWriteBufferSize(): number {
    return missing("DatagramTransport", "getWriteBufferSize");
  }
  /** `[low, high]`, the water marks of the send queue. */
  getWriteBufferLimits(): [number, number] {
    return missing("DatagramTransport", "getWriteBufferLimits");
  }
  /** Sets the water marks of the send queue, as a stream transport's. */
  setWriteBufferLimits(_high?: number, _low?: number): void {
    missing("DatagramTransport", "setWriteBufferLimits");
  }
  /** Closes at once, dropping what is queued. */
  abort(): void {
    missing("DatagramTransport", "abort");
  }
}

/**
 * The transport of a child process.
 *
 * @example
 * ```ts
 * import { BaseTransport, SubprocessTransport } from "@asyncio/asyncio";
 * console.log(SubprocessTransport.prototype instanceof BaseTransport); // true
 * ```
 */
export class SubprocessTransport extends BaseTransport {
  /** The child's process id. */
  getPid(): number {
    return missing("SubprocessTransport", "getPid");
  }
  /** The exit code, minus the signal number for a signal, or `null` while running. */
  getReturncode(): number | null {
    return missing("SubprocessTransport", "getReturncode");
  }
  /** The transport of pipe `fd` (0, 1 or 2), or `null` when it is not a pipe. */
  getPipeTransport(_fd: number): BaseTransport | null {
    return missing("SubprocessTransport", "getPipeTransport");
  }
  /** Sends a signal (`"SIGTERM"`, ...) to the child. */
  sendSignal(_signal: Deno.Signal): void {
    missing("SubprocessTransport", "sendSignal");
  }
  /** Sends `SIGTERM`. */
  terminate(): void {
    missing("SubprocessTransport", "terminate");
  }
  /** Sends `SIGKILL`. */
  kill(): void {
    missing("SubprocessTransport", "kill");
  }
}
