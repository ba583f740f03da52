/**
 * Datagram endpoints: `createDatagramEndpoint` and its transport.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { DatagramProtocol } from "../protocols/protocols.ts";
import type { DatagramTransport } from "./transports.ts";
import type { Address } from "./trsock.ts";
import type { Socket } from "./sockets.ts";

/** Options of `loop.createDatagramEndpoint`, Python's keyword arguments. */
export interface CreateDatagramEndpointOptions {
  /** The local address to bind: `[host, port]`, or a path for a Unix datagram socket. */
  localAddr?: Address;
  /** The remote address to connect to: `[host, port]`, or a path. */
  remoteAddr?: Address;
  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  family?: number;
  /** Passed to `getaddrinfo`. */
  proto?: number;
  /** Passed to `getaddrinfo`. */
  flags?: number;
  /** `SO_REUSEPORT` (see README for what Deno allows). */
  reusePort?: boolean;
  /** `SO_BROADCAST` (see README for what Deno allows). */
  allowBroadcast?: boolean;
  /** An existing datagram socket. */
  sock?: Socket | Deno.DatagramConn;
}

/** `loop.createDatagramEndpoint`. */
export function createDatagramEndpoint<P extends DatagramProtocol>(
  _loop: EventLoop,
  _protocolFactory: () => P,
  _options: CreateDatagramEndpointOptions = {},
): Promise<[DatagramTransport, P]> {
  return Promise.reject(new NotImplementedError("createDatagramEndpoint: work in progress"));
}
