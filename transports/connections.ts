/**
 * Client connections: `createConnection`, `createUnixConnection` and
 * `connectAcceptedSocket`, as the loop methods of the same names.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import { AF_UNSPEC, SOCK_STREAM } from "./constants.ts";
import { checkPort, getaddrinfo } from "./dns.ts";
import { StreamTransport } from "./_stream_transport.ts";
import type { Transport } from "./transports.ts";
import { toAddress, TransportSocket } from "./trsock.ts";
import { Socket } from "./sockets.ts";
import { awaitOp, closeQuietly, connectionMade } from "./_ops.ts";
import { unixAccess } from "../loop/_permissions.ts";
import { connectSequentially, connectStaggered, interleaveAddrinfos } from "./_happy_eyeballs.ts";
import type { SSLContext } from "./_tls_context.ts";
import {
  BufferedSSLProtocol,
  clientTlsSettings,
  loadTls,
  serverTlsSettings,
  type TlsSettings,
} from "./_tls_protocol.ts";

/** The TLS options of a client connection, Python's `ssl=` keyword arguments. */
export interface ClientTlsOptions {
  /**
   * TLS: an `SSLContext` (from `createDefaultContext()`), or `true` for a
   * default client context that trusts Deno's default roots.
   */
  ssl?: SSLContext | boolean | null;
  /**
   * The name the server's certificate must match, also sent as SNI; `host`
   * by default. `""` turns the check off (with `ssl: true`). Without `ssl`,
   * a `RangeError`.
   */
  serverHostname?: string | null;
  /** Seconds the TLS handshake may take (60 by default); then `Deno.errors.ConnectionAborted`. */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take when closing (30 by default); then the connection is aborted. */
  sslShutdownTimeout?: number | null;
}

/** The TLS options of a server side, Python's `ssl=` keyword arguments. */
export interface ServerTlsOptions {
  /** TLS: a server `SSLContext` (`createDefaultContext(Purpose.CLIENT_AUTH)` with `loadCertChain`). */
  ssl?: SSLContext | null;
  /** Seconds a client's TLS handshake may take (60 by default); then it is dropped. */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take when closing (30 by default); then the connection is aborted. */
  sslShutdownTimeout?: number | null;
}

/** Options of `loop.createConnection`, Python's keyword arguments. */
export interface CreateConnectionOptions extends ClientTlsOptions {
  /** `AF_INET` or `AF_INET6` to use only that family; `AF_UNSPEC` (0) by default. */
  family?: number;
  /** Passed to `getaddrinfo`. */
  proto?: number;
  /** Passed to `getaddrinfo`. */
  flags?: number;
  /** An existing connection to use instead of connecting. */
  sock?: Deno.Conn | TransportSocket | Socket;
  /**
   * Binding the local end is not possible with `Deno.connect`: giving it
   * throws `NotImplementedError`.
   */
  localAddr?: [string, number];
  /** Happy Eyeballs (RFC 8305): seconds before the next address is tried in parallel. */
  happyEyeballsDelay?: number | null;
  /** How many addresses of the first family come before the other family's. */
  interleave?: number | null;
  /** Throw an `ExceptionGroup` of every attempt's error when all fail. */
  allErrors?: boolean;
}

/** Options of `loop.createUnixConnection`. */
export interface CreateUnixConnectionOptions extends ClientTlsOptions {
  /** An existing Unix connection to use instead of connecting. */
  sock?: Deno.Conn | TransportSocket | Socket;
}

/** Options of `loop.connectAcceptedSocket`: TLS, as the server side of the connection. */
export type ConnectAcceptedSocketOptions = ServerTlsOptions;

/** The protocol factory of the connection methods. */
export type ProtocolFactory<P extends BaseProtocol> = () => P;

/** The extra information of a connection's transport. */
export function connExtra(conn: Deno.Conn): Record<string, unknown> {
  return {
    peername: toAddress(conn.remoteAddr),
    sockname: toAddress(conn.localAddr),
    socket: conn,
  };
}

/**
 * Wraps a connection in a transport and waits until `connectionMade` ran;
 * with `tls`, the transport runs TLS over the connection and the wait
 * includes the handshake.
 */
export async function makeTransport<P extends BaseProtocol>(
  loop: EventLoop,
  conn: Deno.Conn,
  protocolFactory: ProtocolFactory<P>,
  tls: TlsSettings | null = null,
): Promise<[Transport, P]> {
  if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
  let protocol: P;
  try {
    if (tls !== null) await loadTls();
    protocol = protocolFactory();
  } catch (error) {
    closeQuietly(conn);
    throw error;
  }
  const waiter = loop.createFuture<void>();
  if (tls !== null) return await makeTlsTransport(loop, conn, protocol, tls, waiter);
  const transport = new StreamTransport(loop, conn, protocol, { extra: connExtra(conn), waiter });
  return await connectionMade(waiter, transport, protocol);
}

async function makeTlsTransport<P extends BaseProtocol>(
  loop: EventLoop,
  conn: Deno.Conn,
  protocol: P,
  tls: TlsSettings,
  waiter: Future<void>,
): Promise<[Transport, P]> {
  const ssl = new BufferedSSLProtocol(loop, protocol, tls, { waiter });
  const lower = new StreamTransport(loop, conn, ssl, { extra: connExtra(conn) });
  try {
    await waiter;
  } catch (error) {
    // As asyncio: a handshake that failed or was cancelled aborts the connection.
    lower.abort();
    throw error;
  }
  return [ssl.appTransport!, protocol];
}

function connOf(sock: Deno.Conn | TransportSocket | Socket, what: string): Deno.Conn {
  const conn = sock instanceof TransportSocket || sock instanceof Socket ? sock.resource : sock;
  if (
    conn === null || typeof conn !== "object" || typeof (conn as Deno.Conn).read !== "function" ||
    (conn as Deno.Conn).remoteAddr === undefined
  ) {
    throw new TypeError(`${what}: sock must be a Deno.Conn`);
  }
  return conn as Deno.Conn;
}

/**
 * `loop.createConnection`: resolves `host` and tries its addresses in turn
 * (or in a Happy Eyeballs race), then wraps the connection in a transport
 * and returns `[transport, protocol]` once `connectionMade` ran.
 */
export async function createConnection<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: ProtocolFactory<P>,
  host: string | null | undefined,
  port: number | string | null | undefined,
  options: CreateConnectionOptions = {},
): Promise<[Transport, P]> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a protocol");
  }
  const tls = clientTlsSettings(options, host);
  const hostGiven = host !== undefined && host !== null;
  const portGiven = port !== undefined && port !== null;
  if (options.sock !== undefined) {
    if (hostGiven || portGiven) {
      throw new RangeError("host/port and sock can not be specified at the same time");
    }
    return await makeTransport(
      loop,
      connOf(options.sock, "createConnection"),
      protocolFactory,
      tls,
    );
  }
  if (!hostGiven && !portGiven) {
    throw new RangeError("host and port was not specified and no sock specified");
  }
  if (hostGiven && typeof host !== "string") {
    throw new TypeError(`host must be a string, not ${typeof host}`);
  }
  checkPort(port);
  if (options.localAddr !== undefined) {
    throw new NotImplementedError(
      "createConnection(): localAddr cannot be honoured, since Deno.connect cannot bind the " +
        "local end of a connection; connect without it",
    );
  }
  const { happyEyeballsDelay = null, allErrors = false } = options;
  let interleave = options.interleave ?? null;
  const infos = await getaddrinfo(host, port, {
    family: options.family ?? AF_UNSPEC,
    type: SOCK_STREAM,
    proto: options.proto ?? 0,
    flags: options.flags ?? 0,
  });
  if (infos.length === 0) throw new Deno.errors.NotFound("getaddrinfo() returned empty list");
  if (happyEyeballsDelay !== null && interleave === null) interleave = 1;
  const ordered = interleave ? interleaveAddrinfos(infos, interleave) : infos;
  const conn = happyEyeballsDelay === null
    ? await connectSequentially(loop, ordered, allErrors)
    : await connectStaggered(loop, ordered, happyEyeballsDelay, allErrors);
  return await makeTransport(loop, conn, protocolFactory, tls);
}

/** `loop.createUnixConnection`: connects to the Unix socket at `path`. */
export async function createUnixConnection<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: ProtocolFactory<P>,
  path: string | null | undefined,
  options: CreateUnixConnectionOptions = {},
): Promise<[Transport, P]> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a protocol");
  }
  // A Unix socket has no host name: with ssl, serverHostname must be given.
  const tls = clientTlsSettings(options, null);
  if (options.sock !== undefined) {
    if (path !== undefined && path !== null) {
      throw new RangeError("path and sock can not be specified at the same time");
    }
    return await makeTransport(
      loop,
      connOf(options.sock, "createUnixConnection"),
      protocolFactory,
      tls,
    );
  }
  if (typeof path !== "string" || path === "") {
    throw new RangeError("no path and sock were specified");
  }
  let conn: Deno.Conn;
  try {
    conn = await awaitOp(loop, Deno.connect({ transport: "unix", path }), closeQuietly);
  } catch (error) {
    throw unixAccess(error, path);
  }
  return await makeTransport(loop, conn, protocolFactory, tls);
}

/** `loop.connectAcceptedSocket`: wraps a connection accepted elsewhere. */
export async function connectAcceptedSocket<P extends BaseProtocol>(
  loop: EventLoop,
  protocolFactory: ProtocolFactory<P>,
  sock: Deno.Conn | TransportSocket | Socket,
  options: ConnectAcceptedSocketOptions = {},
): Promise<[Transport, P]> {
  const tls = serverTlsSettings(options ?? {});
  return await makeTransport(loop, connOf(sock, "connectAcceptedSocket"), protocolFactory, tls);
}
