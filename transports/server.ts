/**
 * `Server`: listening sockets and their connections, as asyncio's `Server`,
 * with `createServer` and `createUnixServer` behind the loop methods of the
 * same names.
 *
 * @module
 */
import { RuntimeError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import { outsideTasks } from "../loop/_context.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import { AF_INET, AF_INET6, AF_UNSPEC, AI_PASSIVE, SOCK_STREAM } from "./constants.ts";
import { checkPort, getaddrinfo } from "./dns.ts";
import { StreamTransport } from "./_stream_transport.ts";
import { connExtra, type ProtocolFactory, type ServerTlsOptions } from "./connections.ts";
import { TransportSocket } from "./trsock.ts";
import { Socket } from "./sockets.ts";
import { closeQuietly } from "./_ops.ts";
import { allowFlag, netAccess, notCapable, unixAccess } from "../loop/_permissions.ts";
import { NotImplementedError } from "../loop/exceptions.ts";
import {
  BufferedSSLProtocol,
  loadTls,
  serverTlsSettings,
  type TlsSettings,
} from "./_tls_protocol.ts";

// asyncio's ACCEPT_RETRY_DELAY: after accept() fails for want of
// resources (too many open files), wait before accepting again.
const ACCEPT_RETRY_DELAY = 1;

/** A Unix socket file a server made, removed when it closes if it is still that file. */
export interface UnixSocketFile {
  /** The path of the socket file. */
  path: string;
  /** Its inode number when bound, or `null` when unknown. */
  ino: number | null;
}

/** Options of `Server`'s constructor (made by `createServer`). */
export interface ServerOptions extends ServerTlsOptions {
  /** Unix socket files to remove when the server closes. */
  unixSocketFiles?: UnixSocketFile[];
}

/**
 * A server: the listening sockets made by `loop.createServer`,
 * `createUnixServer` or `startServer`, and the connections they accepted.
 * `await using server = ...` closes it and waits until it is closed.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, run, type Transport } from "@asyncio/asyncio";
 * class Echo extends Protocol {
 *   transport!: Transport;
 *   override connectionMade(transport: Transport) {
 *     this.transport = transport;
 *   }
 *   override dataReceived(data: Uint8Array) {
 *     this.transport.write(data);
 *   }
 * }
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   await using server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
 *   console.log(server.isServing(), server.sockets.length); // true 1
 * });
 * ```
 */
export class Server {
  #loop: EventLoop;
  #listeners: Deno.Listener[] | null;
  #sockets: TransportSocket[];
  #protocolFactory: ProtocolFactory<BaseProtocol>;
  #serving = false;
  #activeCount = 0;
  #clients = new Set<StreamTransport>();
  #waiters: Future<void>[] | null = [];
  #servingForever: Future<void> | null = null;
  #unixSocketFiles: UnixSocketFile[];
  #tls: TlsSettings | null;

  /** Made by `loop.createServer()`; wraps listeners that already listen. */
  constructor(
    loop: EventLoop,
    listeners: Deno.Listener[],
    protocolFactory: ProtocolFactory<BaseProtocol>,
    options: ServerOptions = {},
  ) {
    this.#loop = loop;
    this.#listeners = listeners;
    this.#sockets = listeners.map((listener) => new TransportSocket(listener));
    this.#protocolFactory = protocolFactory;
    this.#unixSocketFiles = options.unixSocketFiles ?? [];
    this.#tls = serverTlsSettings(options);
  }

  /** The listening sockets (none once closed). */
  get sockets(): TransportSocket[] {
    return this.#listeners === null ? [] : [...this.#sockets];
  }

  /** The loop the server runs on. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** Whether the server accepts connections. */
  isServing(): boolean {
    return this.#serving;
  }

  /** Starts accepting connections (after `startServing: false`); a no-op when serving. */
  startServing(): Promise<void> {
    this.#startServing();
    return Promise.resolve();
  }

  /**
   * Accepts connections until cancelled; cancelling it closes the server.
   * Throws `RuntimeError` when closed or already serving forever.
   */
  async serveForever(): Promise<void> {
    if (this.#servingForever !== null) {
      throw new RuntimeError(`server ${this} is already being awaited on serveForever()`);
    }
    if (this.#listeners === null) throw new RuntimeError(`server ${this} is closed`);
    this.#startServing();
    this.#servingForever = this.#loop.createFuture<void>();
    try {
      await this.#servingForever;
    } catch (error) {
      try {
        this.close();
        await this.waitClosed();
      } finally {
        // deno-lint-ignore no-unsafe-finally
        throw error;
      }
    } finally {
      this.#servingForever = null;
    }
  }

  /**
   * Stops listening and closes the listening sockets (and removes Unix
   * socket files). Connections already accepted stay open; see
   * `closeClients` and `abortClients`.
   */
  close(): void {
    const listeners = this.#listeners;
    if (listeners === null) return;
    this.#listeners = null;
    for (const listener of listeners) closeQuietly(listener);
    for (const file of this.#unixSocketFiles) removeSocketFile(file);
    this.#serving = false;
    if (this.#servingForever !== null && !this.#servingForever.done()) {
      this.#servingForever.cancel();
      this.#servingForever = null;
    }
    if (this.#activeCount === 0) this.#wakeup();
  }

  /** Closes every accepted connection (their buffers are flushed first). */
  closeClients(): void {
    for (const transport of [...this.#clients]) transport.close();
  }

  /** Aborts every accepted connection at once. */
  abortClients(): void {
    for (const transport of [...this.#clients]) transport.abort();
  }

  /** Waits until the server is closed and every connection it accepted is gone. */
  async waitClosed(): Promise<void> {
    if (this.#waiters === null) return;
    const waiter = this.#loop.createFuture<void>();
    this.#waiters.push(waiter);
    await waiter;
  }

  /** `await using server = ...`: closes the server and waits until it is closed. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** A description such as `<Server sockets=[...]>`. */
  toString(): string {
    return `<Server sockets=[${this.sockets.map(String).join(", ")}]>`;
  }

  /** @internal A transport of this server was made. */
  _attach(transport: StreamTransport): void {
    this.#activeCount++;
    this.#clients.add(transport);
  }

  /** @internal A transport of this server is gone. */
  _detach(transport: StreamTransport): void {
    this.#activeCount--;
    this.#clients.delete(transport);
    if (this.#activeCount === 0 && this.#listeners === null) this.#wakeup();
  }

  #wakeup(): void {
    const waiters = this.#waiters;
    this.#waiters = null;
    for (const waiter of waiters ?? []) if (!waiter.done()) waiter.setResult();
  }

  #startServing(): void {
    if (this.#serving || this.#listeners === null) return;
    this.#serving = true;
    for (const listener of this.#listeners) outsideTasks(() => this.#acceptLoop(listener));
  }

  async #acceptLoop(listener: Deno.Listener): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#listeners === null || !this.#listeners.includes(listener)) return;
        if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
          return;
        }
        this.#loop.callExceptionHandler({
          message: "socket.accept() out of system resource",
          exception: error,
          socket: new TransportSocket(listener),
        });
        await new Promise<void>((resolve) => {
          this.#loop.callLater(ACCEPT_RETRY_DELAY, resolve);
        });
        continue;
      }
      this.#loop._ioTurn();
      if (this.#listeners === null || this.#loop.isClosed()) {
        closeQuietly(conn);
        return;
      }
      this.#accepted(conn);
    }
  }

  #accepted(conn: Deno.Conn): void {
    if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
    let protocol: BaseProtocol;
    try {
      protocol = this.#protocolFactory();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: "Error on transport creation for incoming connection",
        exception,
      });
      closeQuietly(conn);
      return;
    }
    // With TLS, the socket's transport carries the TLS bytes (and is the
    // server's, as in asyncio); the protocol gets its transport after the
    // handshake. A handshake that fails drops the connection quietly.
    const tls = this.#tls;
    new StreamTransport(
      this.#loop,
      conn,
      tls === null ? protocol : new BufferedSSLProtocol(this.#loop, protocol, tls),
      { extra: connExtra(conn), server: this },
    );
  }
}

function removeSocketFile(file: UnixSocketFile): void {
  try {
    const info = Deno.lstatSync(file.path);
    if (info.isSocket && (file.ino === null || info.ino === file.ino)) Deno.removeSync(file.path);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/** Options of `loop.createServer`, Python's keyword arguments. */
export interface CreateServerOptions extends ServerTlsOptions {
  /** `AF_INET` or `AF_INET6` to listen on one family only. */
  family?: number;
  /** Passed to `getaddrinfo` (`AI_PASSIVE` by default). */
  flags?: number;
  /** An existing listener to serve instead of listening anew. */
  sock?: Deno.Listener | TransportSocket | Socket;
  /**
   * The listen backlog. Deno chooses the backlog itself, so this is
   * accepted and has no effect.
   */
  backlog?: number;
  /** Deno's listeners always set `SO_REUSEADDR`; `false` cannot be honoured. */
  reuseAddress?: boolean;
  /** `SO_REUSEPORT`, through `Deno.listen`'s `reusePort` (needs `--unstable-net`). */
  reusePort?: boolean;
  /** Start accepting at once (the default), or only at `startServing()`/`serveForever()`. */
  startServing?: boolean;
}

/** Options of `loop.createUnixServer`. */
export interface CreateUnixServerOptions extends ServerTlsOptions {
  /** An existing Unix listener to serve. */
  sock?: Deno.Listener | TransportSocket | Socket;
  /** Accepted and without effect, as for `createServer`. */
  backlog?: number;
  /** Start accepting at once (the default). */
  startServing?: boolean;
  /** Remove the socket file when the server closes (the default, as Python 3.13). */
  cleanupSocket?: boolean;
}

function listenerOf(sock: Deno.Listener | TransportSocket | Socket): Deno.Listener {
  const listener = sock instanceof TransportSocket || sock instanceof Socket ? sock.resource : sock;
  if (
    listener === null || typeof listener !== "object" ||
    typeof (listener as Deno.Listener).accept !== "function"
  ) {
    throw new TypeError("sock must be a Deno.Listener");
  }
  return listener as Deno.Listener;
}

function bindError(error: unknown, address: string): unknown {
  if (!(error instanceof Error)) return error;
  const ErrorClass = error.constructor as ErrorConstructor;
  return new ErrorClass(
    `error while attempting to bind on address ${address}: ${error.message}`,
    { cause: error },
  );
}

function listenTcp(hostname: string, port: number, reusePort: boolean): Deno.Listener {
  try {
    return Deno.listen(reusePort ? { hostname, port, reusePort } : { hostname, port });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw netAccess(error, hostname, port);
    throw bindError(error, JSON.stringify([hostname, port]));
  }
}

// Python opens one socket per family for "all interfaces", with
// IPV6_V6ONLY on the IPv6 one. Deno cannot set IPV6_V6ONLY, so a
// dual-stack "::" listener serves both families, with "0.0.0.0" as the
// fallback where IPv6 is missing.
function listenAllInterfaces(family: number, port: number, reusePort: boolean): Deno.Listener[] {
  if (family === AF_INET) return [listenTcp("0.0.0.0", port, reusePort)];
  try {
    return [listenTcp("::", port, reusePort)];
  } catch (error) {
    if (family === AF_INET6) throw error;
    try {
      return [listenTcp("0.0.0.0", port, reusePort)];
    } catch (fallbackError) {
      // Neither allowed: name the dual-stack one, which serves both families.
      const denied = error instanceof Deno.errors.NotCapable &&
        fallbackError instanceof Deno.errors.NotCapable;
      if (!denied) throw fallbackError;
      const both = `[::]:${port}`;
      const v4 = `0.0.0.0:${port}`;
      throw notCapable(
        "net",
        both,
        [
          allowFlag("net", both),
          `(or ${allowFlag("net", v4)} for IPv4 only)`,
        ],
        error.cause ?? error,
        " (all interfaces)",
      );
    }
  }
}

/** `loop.createServer`: listens on `host` (a name, a list, or all interfaces) and `port`. */
export async function createServer(
  loop: EventLoop,
  protocolFactory: ProtocolFactory<BaseProtocol>,
  host: string | string[] | null | undefined,
  port: number | string | null | undefined,
  options: CreateServerOptions = {},
): Promise<Server> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a protocol");
  }
  const tlsOptions = tlsOptionsOf(options);
  if (tlsOptions.ssl) await loadTls();
  const { family = AF_UNSPEC, flags = AI_PASSIVE, reusePort = false } = options;
  if (options.reuseAddress === false) {
    throw new NotImplementedError(
      "createServer(): reuseAddress=false cannot be honoured: Deno's listeners always set SO_REUSEADDR",
    );
  }
  let listeners: Deno.Listener[];
  if (options.sock !== undefined) {
    if ((host !== undefined && host !== null) || (port !== undefined && port !== null)) {
      throw new RangeError("host/port and sock can not be specified at the same time");
    }
    listeners = [listenerOf(options.sock)];
  } else {
    let portNumber = checkPort(port);
    const hosts = host === undefined || host === null || host === ""
      ? null
      : typeof host === "string"
      ? [host]
      : host;
    if (hosts !== null && !hosts.every((h) => typeof h === "string")) {
      throw new TypeError("host must be a string or a list of strings");
    }
    listeners = [];
    try {
      if (hosts === null) {
        listeners.push(...listenAllInterfaces(family, portNumber, reusePort));
      } else {
        const seen = new Set<string>();
        for (const h of hosts) {
          const infos = await getaddrinfo(h, portNumber, { family, type: SOCK_STREAM, flags });
          for (const [, , , , [address]] of infos) {
            if (seen.has(address)) continue;
            seen.add(address);
            const listener = listenTcp(address, portNumber, reusePort);
            listeners.push(listener);
            // Port 0 gives every address the port the first one got.
            if (portNumber === 0) portNumber = (listener.addr as Deno.NetAddr).port;
          }
        }
      }
    } catch (error) {
      for (const listener of listeners) closeQuietly(listener);
      throw error;
    }
  }
  let server: Server;
  try {
    server = new Server(loop, listeners, protocolFactory, tlsOptions);
  } catch (error) {
    for (const listener of listeners) closeQuietly(listener);
    throw error;
  }
  if (options.startServing ?? true) await server.startServing();
  return server;
}

/** The TLS options, checked now (a bad combination throws before listening). */
function tlsOptionsOf(options: ServerTlsOptions): ServerTlsOptions {
  const { ssl = null, sslHandshakeTimeout = null, sslShutdownTimeout = null } = options;
  const tlsOptions = { ssl, sslHandshakeTimeout, sslShutdownTimeout };
  serverTlsSettings(tlsOptions);
  return tlsOptions;
}

/** `loop.createUnixServer`: listens on the Unix socket at `path`. */
export async function createUnixServer(
  loop: EventLoop,
  protocolFactory: ProtocolFactory<BaseProtocol>,
  path: string | null | undefined,
  options: CreateUnixServerOptions = {},
): Promise<Server> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a protocol");
  }
  const tlsOptions = tlsOptionsOf(options);
  if (tlsOptions.ssl) await loadTls();
  let listener: Deno.Listener;
  const files: UnixSocketFile[] = [];
  if (options.sock !== undefined) {
    if (path !== undefined && path !== null) {
      throw new RangeError("path and sock can not be specified at the same time");
    }
    listener = listenerOf(options.sock);
  } else {
    if (typeof path !== "string" || path === "") {
      throw new RangeError("path was not specified, and no sock specified");
    }
    // A socket file left by an earlier run is replaced, as in asyncio; any
    // other file at the path is an error.
    try {
      const info = Deno.lstatSync(path);
      if (!info.isSocket) {
        throw new Deno.errors.AddrInUse(
          `error while attempting to bind on address ${JSON.stringify(path)}: ` +
            "a file that is not a socket is in the way",
        );
      }
      Deno.removeSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw unixAccess(error, path);
    }
    try {
      listener = Deno.listen({ transport: "unix", path });
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw unixAccess(error, path);
      throw bindError(error, JSON.stringify(path));
    }
    if (options.cleanupSocket ?? true) {
      let ino: number | null = null;
      try {
        ino = Deno.lstatSync(path).ino;
      } catch {
        // The file vanished already; nothing to clean up.
      }
      files.push({ path, ino });
    }
  }
  let server: Server;
  try {
    server = new Server(loop, [listener], protocolFactory, {
      unixSocketFiles: files,
      ...tlsOptions,
    });
  } catch (error) {
    closeQuietly(listener);
    for (const file of files) removeSocketFile(file);
    throw error;
  }
  if (options.startServing ?? true) await server.startServing();
  return server;
}
