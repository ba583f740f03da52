/**
 * `sendfile` and `sockSendfile`: a file through a transport or a socket.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { WriteTransport } from "./transports.ts";
import type { Socket } from "./sockets.ts";

/** Options of `loop.sendfile` and `loop.sockSendfile`. */
export interface SendfileOptions {
  /** Read and write in chunks when there is no zero-copy path (the default: true). */
  fallback?: boolean;
}

/** `loop.sendfile`. */
export function sendfile(
  _loop: EventLoop,
  _transport: WriteTransport,
  _file: Deno.FsFile,
  _offset = 0,
  _count: number | null = null,
  _options: SendfileOptions = {},
): Promise<number> {
  return Promise.reject(new NotImplementedError("sendfile: work in progress"));
}

/** `loop.sockSendfile`. */
export function sockSendfile(
  _loop: EventLoop,
  _sock: Socket,
  _file: Deno.FsFile,
  _offset = 0,
  _count: number | null = null,
  _options: SendfileOptions = {},
): Promise<number> {
  return Promise.reject(new NotImplementedError("sockSendfile: work in progress"));
}
