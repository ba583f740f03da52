/**
 * TLS: `SSLContext`, `createDefaultContext`, `Purpose` and the constants
 * of Python's `ssl` module that asyncio programs use, `SSLObject` (what
 * `getExtraInfo("ssl_object")` returns), and `loop.startTls`.
 *
 * TLS runs over the connection's own bytes with Deno's built-in
 * `node:tls`, as asyncio's `sslproto.py` runs it over memory BIOs: the
 * application's transport is the same stream transport as a plain
 * connection's (flow control, `pauseReading`, ...), and as on asyncio's SSL
 * transport `canWriteEof()` is false.
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import type { Transport } from "./transports.ts";
import { StreamTransport } from "./_stream_transport.ts";
import { SSLContext } from "./_tls_context.ts";
import { clientTlsSettings, loadTls, SSLProtocol, type TlsSettings } from "./_tls_protocol.ts";
import { SSL_HANDSHAKE_TIMEOUT, SSL_SHUTDOWN_TIMEOUT } from "./_tls_protocol.ts";

export {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  createDefaultContext,
  type KeyPassword,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  SSLContext,
  TLSVersion,
  type VerifyLocations,
} from "./_tls_context.ts";
export {
  type CipherInfo,
  type DistinguishedName,
  type PeerCertificate,
  SSLObject,
} from "./_tls_object.ts";

/** Options of `loop.startTls`, Python's keyword arguments. */
export interface StartTlsOptions {
  /** Upgrade as the server side (the context then needs `loadCertChain`). */
  serverSide?: boolean;
  /** The client's name for the server: sent (SNI) and checked against its certificate. */
  serverHostname?: string | null;
  /** Seconds the handshake may take (60 by default); then `Deno.errors.ConnectionAborted`. */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take when closing (30 by default); then the connection is aborted. */
  sslShutdownTimeout?: number | null;
}

function startTlsSettings(sslcontext: SSLContext, options: StartTlsOptions): TlsSettings {
  const serverSide = Boolean(options.serverSide);
  if (!serverSide) {
    const settings = clientTlsSettings({
      ssl: sslcontext,
      serverHostname: options.serverHostname ?? "",
      sslHandshakeTimeout: options.sslHandshakeTimeout,
      sslShutdownTimeout: options.sslShutdownTimeout,
    }, null);
    return settings!;
  }
  sslcontext._checkSide(true);
  const timeout = (value: number | null | undefined, name: string, byDefault: number) => {
    if (value === undefined || value === null) return byDefault;
    if (typeof value !== "number" || !(value > 0)) {
      throw new RangeError(`${name} should be a positive number, got ${value}`);
    }
    return value;
  };
  return {
    context: sslcontext,
    serverSide: true,
    serverHostname: null,
    handshakeTimeout: timeout(
      options.sslHandshakeTimeout,
      "sslHandshakeTimeout",
      SSL_HANDSHAKE_TIMEOUT,
    ),
    shutdownTimeout: timeout(
      options.sslShutdownTimeout,
      "sslShutdownTimeout",
      SSL_SHUTDOWN_TIMEOUT,
    ),
  };
}

/**
 * `loop.startTls`: upgrades the connection of `transport` to TLS (STARTTLS)
 * and resolves to the new transport, which `protocol` uses from then on
 * (its `connectionMade` is not called again). The old transport carries
 * the TLS bytes underneath: do not use it any more. A handshake that does
 * not complete within `sslHandshakeTimeout` rejects with
 * `Deno.errors.ConnectionAborted`; a certificate that does not verify,
 * with `Deno.errors.InvalidData`.
 *
 * @example
 * ```ts
 * import { createDefaultContext, getRunningLoop, Protocol, run, type Transport } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [transport, protocol] = await loop.createConnection(() => new Protocol(), "127.0.0.1", port);
 *   // The server never answers the ClientHello: the upgrade gives up.
 *   try {
 *     await loop.startTls(transport, protocol, createDefaultContext(), {
 *       serverHostname: "localhost",
 *       sslHandshakeTimeout: 0.1,
 *     });
 *   } catch (error) {
 *     console.log(error instanceof Deno.errors.ConnectionAborted); // true
 *   }
 *   server.close();
 *   server.closeClients();
 *   await server.waitClosed();
 * });
 * ```
 */
export async function startTls(
  loop: EventLoop,
  transport: Transport,
  protocol: BaseProtocol,
  sslcontext: unknown,
  options: StartTlsOptions = {},
): Promise<Transport> {
  if (!(sslcontext instanceof SSLContext)) {
    throw new TypeError(
      `sslcontext is expected to be an instance of SSLContext, got ${String(sslcontext)}`,
    );
  }
  if (!(transport instanceof StreamTransport) || transport.getExtraInfo("pipe") !== undefined) {
    throw new TypeError(`transport ${String(transport)} is not supported by startTls()`);
  }
  const settings = startTlsSettings(sslcontext, options);
  await loadTls();
  const waiter = loop.createFuture<void>();
  const ssl = new SSLProtocol(loop, protocol, settings, { waiter, callConnectionMade: false });
  // Pause first, so that the TLS protocol gets no data before its connectionMade.
  transport.pauseReading();
  transport.setProtocol(ssl);
  const connectionMade = loop.callSoon(() => ssl.connectionMade(transport));
  const resume = loop.callSoon(() => transport.resumeReading());
  try {
    await waiter;
  } catch (error) {
    transport.close();
    connectionMade.cancel();
    resume.cancel();
    throw error;
  }
  return ssl.appTransport!;
}
