/**
 * Pipe transports: `loop.connectReadPipe` and `loop.connectWritePipe` over
 * Web Streams (`Deno.stdin`, `Deno.stdout`, a `Deno.FsFile` on a FIFO, a
 * child's stdio), modelled on asyncio's pipe transports.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import type { ReadTransport, WriteTransport } from "./transports.ts";

/** What `connectReadPipe` reads: a byte stream, or an object with one as `readable`. */
export type ReadPipe = ReadableStream<Uint8Array> | { readable: ReadableStream<Uint8Array> };

/** What `connectWritePipe` writes to: a byte sink, or an object with one as `writable`. */
export type WritePipe = WritableStream<Uint8Array> | { writable: WritableStream<Uint8Array> };

/** `loop.connectReadPipe`. */
export function connectReadPipe<P extends BaseProtocol>(
  _loop: EventLoop,
  _protocolFactory: () => P,
  _pipe: ReadPipe,
): Promise<[ReadTransport, P]> {
  return Promise.reject(new NotImplementedError("connectReadPipe: work in progress"));
}

/** `loop.connectWritePipe`. */
export function connectWritePipe<P extends BaseProtocol>(
  _loop: EventLoop,
  _protocolFactory: () => P,
  _pipe: WritePipe,
): Promise<[WriteTransport, P]> {
  return Promise.reject(new NotImplementedError("connectWritePipe: work in progress"));
}
