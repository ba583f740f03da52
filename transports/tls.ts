/**
 * TLS: `SSLContext`, `createDefaultContext`, `Purpose`, and `loop.startTls`.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import type { Transport } from "./transports.ts";

/** Options of `loop.startTls`. */
export interface StartTlsOptions {
  /** Upgrade as the server side. */
  serverSide?: boolean;
  /** The name to check the certificate against. */
  serverHostname?: string | null;
  /** Seconds the handshake may take (60 by default). */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take (30 by default). */
  sslShutdownTimeout?: number | null;
}

/** `loop.startTls`. */
export function startTls(
  _loop: EventLoop,
  _transport: Transport,
  _protocol: BaseProtocol,
  _sslcontext: unknown,
  _options: StartTlsOptions = {},
): Promise<Transport> {
  return Promise.reject(new NotImplementedError("startTls: work in progress"));
}
