/**
 * Protocols: the callbacks a transport calls, as asyncio's `protocols.py`.
 * Subclass one and override the callbacks you need; the defaults do
 * nothing.
 *
 * The state machine of a stream protocol: `connectionMade` once, then
 * `dataReceived` any number of times, then `eofReceived` at most once, then
 * `connectionLost` once. `pauseWriting` and `resumeWriting` alternate,
 * starting with `pauseWriting`, when the transport's write buffer crosses
 * its high-water and low-water marks.
 *
 * @module
 */
import type {
  BaseTransport,
  DatagramTransport,
  SubprocessTransport,
  Transport,
} from "../transports/transports.ts";

/**
 * The callbacks every protocol has.
 *
 * @example
 * ```ts
 * import { BaseProtocol, type BaseTransport } from "@asyncio/asyncio";
 * class Quiet extends BaseProtocol {
 *   override connectionMade(transport: BaseTransport): void {
 *     transport.close();
 *   }
 * }
 * console.log(new Quiet() instanceof BaseProtocol); // true
 * ```
 */
export class BaseProtocol {
  /** The connection is made; `transport` is the connection. */
  connectionMade(_transport: BaseTransport): void {}
  /** The connection is lost or closed; `exc` is the error, or `null` for a clean close. */
  connectionLost(_exc: Error | null): void {}
  /** The transport's write buffer went above the high-water mark: stop writing. */
  pauseWriting(): void {}
  /** The transport's write buffer drained to the low-water mark: write again. */
  resumeWriting(): void {}
}

/**
 * A stream protocol (TCP, Unix sockets, pipes): data arrives as
 * `Uint8Array` chunks in `dataReceived`.
 *
 * @example
 * ```ts
 * import { Protocol, type Transport } from "@asyncio/asyncio";
 * class EchoServerProtocol extends Protocol {
 *   transport!: Transport;
 *   override connectionMade(transport: Transport): void {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport.write(data);
 *   }
 * }
 * console.log(typeof new EchoServerProtocol().dataReceived); // "function"
 * ```
 */
export class Protocol extends BaseProtocol {
  /** The connection is made; `transport` is the connection. */
  override connectionMade(_transport: Transport): void {}
  /** Bytes arrived, in order; the chunking is arbitrary. */
  dataReceived(_data: Uint8Array): void {}
  /**
   * The peer sent EOF (it will write no more). Return a truthy value to keep
   * the transport open for writing; a falsy one (the default) closes it.
   */
  eofReceived(): boolean | void {
    return undefined;
  }
}

/**
 * A stream protocol that lends the transport its own buffer to read into,
 * which avoids a copy per read: `getBuffer(sizeHint)` returns the buffer,
 * `bufferUpdated(nbytes)` says how many bytes were written at its start.
 *
 * @example
 * ```ts
 * import { BufferedProtocol } from "@asyncio/asyncio";
 * class Counter extends BufferedProtocol {
 *   #buffer = new Uint8Array(65536);
 *   total = 0;
 *   override getBuffer(_sizeHint: number): Uint8Array {
 *     return this.#buffer;
 *   }
 *   override bufferUpdated(nbytes: number): void {
 *     this.total += nbytes;
 *   }
 * }
 * console.log(new Counter().getBuffer(-1).length); // 65536
 * ```
 */
export class BufferedProtocol extends BaseProtocol {
  /** The connection is made; `transport` is the connection. */
  override connectionMade(_transport: Transport): void {}
  /** Returns a non-empty buffer to read into; `sizeHint` is -1 when any size will do. */
  getBuffer(_sizeHint: number): Uint8Array {
    throw new TypeError("BufferedProtocol.getBuffer() must be overridden");
  }
  /** `nbytes` bytes were written at the start of the buffer `getBuffer` returned. */
  bufferUpdated(_nbytes: number): void {}
  /** As `Protocol.eofReceived`: a truthy return keeps the transport open for writing. */
  eofReceived(): boolean | void {
    return undefined;
  }
}

/**
 * A datagram (UDP) protocol.
 *
 * @example
 * ```ts
 * import { DatagramProtocol, type DatagramTransport } from "@asyncio/asyncio";
 * class EchoServerProtocol extends DatagramProtocol {
 *   transport!: DatagramTransport;
 *   override connectionMade(transport: DatagramTransport): void {
 *     this.transport = transport;
 *   }
 *   override datagramReceived(data: Uint8Array, addr: [string, number]): void {
 *     this.transport.sendto(data, addr);
 *   }
 * }
 * console.log(typeof new EchoServerProtocol().datagramReceived); // "function"
 * ```
 */
export class DatagramProtocol extends BaseProtocol {
  /** The endpoint is ready; `transport` is the endpoint. */
  override connectionMade(_transport: DatagramTransport): void {}
  /** A datagram arrived from `addr` (`[host, port]`, or a path for Unix datagrams). */
  datagramReceived(_data: Uint8Array, _addr: [string, number] | string): void {}
  /** A send or receive failed; the transport stays open. */
  errorReceived(_exc: Error): void {}
}

/**
 * The protocol of a child process started by `loop.subprocessExec` or
 * `loop.subprocessShell`.
 *
 * @example
 * ```ts
 * import { SubprocessProtocol } from "@asyncio/asyncio";
 * class Collect extends SubprocessProtocol {
 *   chunks: Uint8Array[] = [];
 *   override pipeDataReceived(fd: number, data: Uint8Array): void {
 *     if (fd === 1) this.chunks.push(data);
 *   }
 * }
 * console.log(new Collect().chunks.length); // 0
 * ```
 */
export class SubprocessProtocol extends BaseProtocol {
  /** The process is started; `transport` controls it. */
  override connectionMade(_transport: SubprocessTransport): void {}
  /** The child wrote `data` to its stdout (`fd` 1) or stderr (`fd` 2). */
  pipeDataReceived(_fd: number, _data: Uint8Array): void {}
  /** One of the child's pipes closed (`fd` 0, 1 or 2). */
  pipeConnectionLost(_fd: number, _exc: Error | null): void {}
  /** The child exited. */
  processExited(): void {}
}
