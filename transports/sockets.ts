/**
 * The `socket()` factory and the `Socket` class, the form Python's `socket`
 * objects take here, `socketpair()`, and the loop's socket-level methods on them
 * (`sockConnect`, `sockAccept`, `sockRecv`, `sockRecvInto`,
 * `sockRecvfrom`, `sockRecvfromInto`, `sockSendall`, `sockSendto`).
 *
 * A `Socket` is backed by Deno's own objects: `Deno.connect` for
 * `sockConnect`, `Deno.listen` for a bound `SOCK_STREAM` socket (bound at
 * `bind()`, so that errors and the chosen port are known there, as in
 * Python; `sockAccept` takes its connections once `listen()` was called),
 * and `Deno.listenDatagram` for `SOCK_DGRAM` (bound at `bind()`, or on
 * first use to an ephemeral port, as the kernel does; it needs
 * `--unstable-net`). `socket.resource` is the Deno object, for the loop's
 * `sock` options.
 *
 * Every socket is non-blocking for the loop's methods (`setblocking()` is
 * accepted and does nothing). Each method awaits Deno's operation through a
 * `Future`, so that cancelling the task cancels the call; what the
 * operation gives after a cancellation is kept for the next call (the bytes
 * of a `sockRecv`, the datagram of a `sockRecvfrom`, the connection of a
 * `sockAccept`), not lost. A cancelled send may still go out.
 *
 * What Deno cannot do: bind the local end of an outgoing connection (a bound
 * `SOCK_STREAM` socket cannot `sockConnect`: `NotImplementedError`), report
 * file descriptors (`fileno()` throws `NotImplementedError`), or set socket options other
 * than those `setsockopt` lists.
 *
 * @example
 * ```ts
 * import { AF_INET, getRunningLoop, run, SOCK_STREAM, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket(AF_INET, SOCK_STREAM);
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   using client = socket();
 *   const [[conn], ] = await Promise.all([
 *     loop.sockAccept(server),
 *     loop.sockConnect(client, server.getsockname()),
 *   ]);
 *   using _conn = conn;
 *   await loop.sockSendall(client, new TextEncoder().encode("hello"));
 *   console.log(new TextDecoder().decode(await loop.sockRecv(conn, 100))); // "hello"
 * });
 * ```
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } from "./constants.ts";
import { getaddrinfo, ipFamily } from "./dns.ts";
import { type Address, toAddress } from "./trsock.ts";
import { awaitOp, closeQuietly } from "./_ops.ts";
import { netAccess, notCapable, sendAccess, unixAccess } from "../loop/_permissions.ts";
import { copyBytes, toBytes } from "./_bytes.ts";
import {
  canonicalHost,
  checkInetAddress,
  checkUnixAddress,
  DatagramChannel,
  isInetAddr,
  isLoopback,
  listenDatagram,
  type Received,
} from "./_datagram_io.ts";

/**
 * `setsockopt` level: the socket itself.
 *
 * @example
 * ```ts
 * import { SO_REUSEPORT, socket, SOL_SOCKET } from "@asyncio/asyncio";
 * using sock = socket();
 * sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
 * console.log(sock.resource); // null (not bound yet)
 * ```
 */
export const SOL_SOCKET = 1;
/**
 * Socket option: reuse a local address (Deno's listeners always set it).
 *
 * @example
 * ```ts
 * import { SO_REUSEADDR, socket, SOL_SOCKET } from "@asyncio/asyncio";
 * using sock = socket();
 * sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1); // accepted: Deno sets it already
 * console.log(sock.resource); // null
 * ```
 */
export const SO_REUSEADDR = 2;
/**
 * Socket option: allow broadcasts (Deno sets it on every UDP socket).
 *
 * @example
 * ```ts
 * import { AF_INET, SO_BROADCAST, SOCK_DGRAM, socket, SOL_SOCKET } from "@asyncio/asyncio";
 * using sock = socket(AF_INET, SOCK_DGRAM);
 * sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1); // accepted: Deno sets it already
 * console.log(sock.type === SOCK_DGRAM); // true
 * ```
 */
export const SO_BROADCAST = 6;
/**
 * Socket option: share a port (see `Socket.setsockopt`).
 *
 * @example
 * ```ts
 * import { SO_REUSEPORT, socket, SOL_SOCKET } from "@asyncio/asyncio";
 * using a = socket();
 * using b = socket();
 * a.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
 * b.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
 * a.bind(["127.0.0.1", 0]);
 * b.bind(a.getsockname()); // the same port
 * console.log(a.getsockname()[1] === b.getsockname()[1]); // true
 * ```
 */
export const SO_REUSEPORT = 15;

// A read asks for at most this much, whatever `nbytes` says.
const MAX_READ = 256 * 1024;
const UDP_MAX_SIZE = 65536;
const UNIX_MAX_SIZE = 256 * 1024;

const noop = (): void => {};

function describeType(type: number): string {
  return type === SOCK_STREAM ? "SOCK_STREAM" : type === SOCK_DGRAM ? "SOCK_DGRAM" : String(type);
}

function familyOfAddr(addr: Deno.Addr): number {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return addr.hostname.includes(":") ? AF_INET6 : AF_INET;
  }
  return AF_UNIX;
}

/**
 * A socket, as Python's `socket.socket`: made by `socket(family, type)`,
 * used with the loop's `sock*` methods and as the `sock` option of
 * `createConnection`, `createServer` and `createDatagramEndpoint`.
 * `using sock = socket()` closes it at the end of the block.
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_DGRAM, Socket } from "@asyncio/asyncio";
 * using sock = new Socket(AF_INET, SOCK_DGRAM);
 * sock.bind(["127.0.0.1", 0]);
 * const [host, port] = sock.getsockname() as [string, number];
 * console.log(host, port > 0); // "127.0.0.1" true
 * ```
 */
export class Socket {
  /** The address family: `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  readonly family: number;
  /** The socket type: `SOCK_STREAM` or `SOCK_DGRAM`. */
  readonly type: number;
  /** The protocol number (0: the type's usual one). */
  readonly proto: number;
  #listener: Deno.Listener | null = null;
  #listening = false;
  #conn: Deno.Conn | null = null;
  #channel: DatagramChannel | null = null;
  #peer: Deno.Addr | null = null;
  #peerAddr: Address | null = null;
  #connecting = false;
  #closed = false;
  #reusePort = false;
  // Results that outlive a cancelled caller: see the module documentation.
  #readOp: Promise<void> | null = null;
  #leftover: Uint8Array | null = null;
  #eof = false;
  #readError: { error: unknown } | null = null;
  #writeOp: Promise<unknown> | null = null;
  #acceptOp: Promise<void> | null = null;
  #accepted: Deno.Conn[] = [];
  #acceptError: { error: unknown } | null = null;
  #receiveOp: Promise<void> | null = null;
  #receiveBuffer: Uint8Array | null = null;
  #datagrams: Received[] = [];
  #receiveError: { error: unknown } | null = null;

  /**
   * Makes an unbound, unconnected socket. `RangeError` for a family other
   * than `AF_INET`, `AF_INET6`, `AF_UNIX` or a type other than
   * `SOCK_STREAM`, `SOCK_DGRAM`.
   */
  constructor(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0) {
    if (![AF_INET, AF_INET6, AF_UNIX].includes(family)) {
      throw new RangeError(`family must be AF_INET, AF_INET6 or AF_UNIX, got ${family}`);
    }
    if (type !== SOCK_STREAM && type !== SOCK_DGRAM) {
      throw new RangeError(`type must be SOCK_STREAM or SOCK_DGRAM, got ${type}`);
    }
    if (typeof proto !== "number" || !Number.isInteger(proto)) {
      throw new TypeError("proto must be an integer");
    }
    this.family = family;
    this.type = type;
    this.proto = proto;
  }

  /**
   * Wraps a Deno connection, listener or datagram socket (Python's
   * `socket.socket(fileno=...)`). A listener is listening already.
   */
  static from(resource: Deno.Conn | Deno.Listener | Deno.DatagramConn): Socket {
    if (resource === null || typeof resource !== "object") {
      throw new TypeError("Socket.from() takes a Deno.Conn, Deno.Listener or Deno.DatagramConn");
    }
    if (typeof (resource as Deno.DatagramConn).receive === "function") {
      const conn = resource as Deno.DatagramConn;
      const sock = new Socket(familyOfAddr(conn.addr), SOCK_DGRAM);
      sock.#channel = new DatagramChannel(conn);
      return sock;
    }
    if (typeof (resource as Deno.Listener).accept === "function") {
      const listener = resource as Deno.Listener;
      const sock = new Socket(familyOfAddr(listener.addr), SOCK_STREAM);
      sock.#listener = listener;
      sock.#listening = true;
      return sock;
    }
    if (typeof (resource as Deno.Conn).read === "function" && "remoteAddr" in resource) {
      const conn = resource as Deno.Conn;
      const sock = new Socket(familyOfAddr(conn.localAddr), SOCK_STREAM);
      sock.#conn = conn;
      return sock;
    }
    throw new TypeError("Socket.from() takes a Deno.Conn, Deno.Listener or Deno.DatagramConn");
  }

  /**
   * The Deno object behind the socket: its `Deno.Conn` once connected, its
   * `Deno.Listener` once bound (`SOCK_STREAM`), its `Deno.DatagramConn`
   * (`SOCK_DGRAM`); `null` before that and once closed.
   */
  get resource(): Deno.Conn | Deno.Listener | Deno.DatagramConn | null {
    if (this.#closed) return null;
    return this.#conn ?? this.#listener ?? this.#channel?.conn ?? null;
  }

  /** Whether `close()` was called (or a transport that owned it closed it). */
  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed) {
      throw new Deno.errors.BadResource("Bad file descriptor: the socket is closed");
    }
  }

  #checkAddress(addr: unknown, what: string): Address {
    if (this.family === AF_UNIX) return checkUnixAddress(addr, what);
    const [host, port] = checkInetAddress(addr, what);
    const literal = ipFamily(host);
    if (literal !== 0 && literal !== this.family) {
      throw new RangeError(
        `${what}: ${host} is not an address of the socket's family ` +
          `(${this.family === AF_INET ? "AF_INET" : "AF_INET6"})`,
      );
    }
    return [host, port];
  }

  #wildcard(): string {
    return this.family === AF_INET6 ? "::" : "0.0.0.0";
  }

  /**
   * Binds the socket to `addr` (`[host, port]`, `""` for every interface,
   * port 0 for a free one; or a path): a `SOCK_STREAM` socket starts
   * listening at the OS level here (connections are taken only after
   * `listen()`), a `SOCK_DGRAM` one opens its `Deno.DatagramConn`.
   * Deno's errors (`AddrInUse`, ...) are thrown unchanged.
   */
  bind(addr: Address): void {
    this.#checkOpen();
    const address = this.#checkAddress(addr, "bind() address");
    if (this.resource !== null) throw new RangeError("the socket is already bound or connected");
    if (this.type === SOCK_STREAM) {
      if (typeof address === "string") {
        try {
          this.#listener = Deno.listen({ transport: "unix", path: address });
        } catch (error) {
          throw unixAccess(error, address);
        }
      } else {
        const hostname = address[0] === "" ? this.#wildcard() : address[0];
        try {
          this.#listener = Deno.listen(
            this.#reusePort
              ? { hostname, port: address[1], reusePort: true }
              : { hostname, port: address[1] },
          );
        } catch (error) {
          throw netAccess(error, hostname, address[1]);
        }
      }
    } else if (typeof address === "string") {
      this.#channel = new DatagramChannel(
        listenDatagram({ transport: "unixpacket", path: address }),
      );
    } else {
      const hostname = address[0] === "" ? this.#wildcard() : address[0];
      this.#channel = new DatagramChannel(
        listenDatagram({
          transport: "udp",
          hostname,
          port: address[1],
          reuseAddress: this.#reusePort,
        }),
      );
    }
  }

  /**
   * Lets `sockAccept` take connections (an unbound socket is bound to a
   * free port of every interface first, as in Python). Deno chooses the
   * backlog, so `backlog` has no effect. A `SOCK_DGRAM` socket cannot
   * listen: `Deno.errors.NotSupported`.
   */
  listen(_backlog?: number): void {
    this.#checkOpen();
    if (this.type !== SOCK_STREAM) {
      throw new Deno.errors.NotSupported(
        "Operation not supported: a SOCK_DGRAM socket cannot listen",
      );
    }
    if (this.#conn !== null) throw new RangeError("a connected socket cannot listen");
    if (this.#listener === null) {
      if (this.family === AF_UNIX) {
        throw new RangeError("bind() a Unix socket to a path before listen()");
      }
      this.bind(["", 0]);
    }
    this.#listening = true;
  }

  /** The local address: `[host, port]` or a path (`["0.0.0.0", 0]` or `""` while unbound). */
  getsockname(): Address {
    this.#checkOpen();
    if (this.#conn !== null) return toAddress(this.#conn.localAddr);
    if (this.#listener !== null) return toAddress(this.#listener.addr);
    if (this.#channel !== null) return toAddress(this.#channel.conn.addr);
    return this.family === AF_UNIX ? "" : [this.#wildcard(), 0];
  }

  /** The remote address: `[host, port]` or a path; `Deno.errors.NotConnected` when there is none. */
  getpeername(): Address {
    this.#checkOpen();
    if (this.#conn !== null) return toAddress(this.#conn.remoteAddr);
    if (this.#peerAddr !== null) return this.#peerAddr;
    throw new Deno.errors.NotConnected("Transport endpoint is not connected");
  }

  /** Accepted for porting: every socket is non-blocking for the loop's methods. */
  setblocking(_flag: boolean): void {}

  /**
   * Throws `NotImplementedError`: Deno exposes no file descriptors. The Deno
   * object behind the socket is `resource`.
   *
   * @example Where Python reads a descriptor, use the resource
   * ```ts
   * import { NotImplementedError, socket } from "@asyncio/asyncio";
   * const sock = socket();
   * try {
   *   sock.fileno();
   * } catch (e) {
   *   console.log(e instanceof NotImplementedError); // true
   * }
   * sock.close();
   * ```
   */
  fileno(): never {
    throw new NotImplementedError(
      "Socket.fileno(): Deno exposes no file descriptors; use the socket's resource (the Deno object) instead",
    );
  }

  /**
   * Sets an option before `bind()`, where Deno has one: `SO_REUSEPORT`
   * (`SOL_SOCKET`) binds a `SOCK_STREAM` socket with Deno's `reusePort`
   * and a `SOCK_DGRAM` one with Deno's `reuseAddress` (see
   * `createDatagramEndpoint`). `SO_REUSEADDR` and `SO_BROADCAST` are
   * accepted: Deno sets them already (they cannot be turned off). Any
   * other option throws `NotImplementedError`.
   */
  setsockopt(level: number, option: number, value: number | boolean): void {
    this.#checkOpen();
    if (level === SOL_SOCKET && option === SO_REUSEPORT) {
      if (this.resource !== null) throw new RangeError("set SO_REUSEPORT before bind()");
      this.#reusePort = !!value;
      return;
    }
    if (level === SOL_SOCKET && (option === SO_REUSEADDR || option === SO_BROADCAST)) return;
    throw new NotImplementedError(
      `setsockopt(${level}, ${option}): Deno offers no way to set this socket option`,
    );
  }

  /**
   * Closes the socket and its Deno object; pending operations end with
   * Deno's error. Closing twice does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#conn !== null) closeQuietly(this.#conn);
    if (this.#listener !== null) closeQuietly(this.#listener);
    this.#channel?.close();
    for (const conn of this.#accepted.splice(0)) closeQuietly(conn);
    this.#datagrams = [];
    this.#leftover = null;
  }

  /** `using sock = socket()` closes it at the end of the block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A description such as `<Socket family=2 type=1 laddr=["127.0.0.1",8888]>`. */
  toString(): string {
    if (this.#closed) return `<Socket [closed] family=${this.family} type=${this.type}>`;
    let text = `<Socket family=${this.family} type=${this.type} laddr=${
      JSON.stringify(this.getsockname())
    }`;
    if (this.#conn !== null || this.#peerAddr !== null) {
      text += ` raddr=${JSON.stringify(this.getpeername())}`;
    }
    return text + ">";
  }

  // ---- for the loop methods ----------------------------------------------------

  /** @internal The datagram channel, bound on first use. */
  _datagramChannel(
    local?: [string, number] | null,
  ): { channel: DatagramChannel; peer: Deno.Addr | null; peerAddr: Address | null } {
    this.#checkOpen();
    if (this.type !== SOCK_DGRAM) {
      throw new RangeError(`a SOCK_DGRAM socket is needed, not ${describeType(this.type)}`);
    }
    if (this.#channel === null) {
      if (this.family === AF_UNIX) {
        this.#channel = new DatagramChannel(listenDatagram({ transport: "unixpacket" }));
      } else {
        const [hostname, port] = local ?? [this.#wildcard(), 0];
        this.#channel = new DatagramChannel(
          listenDatagram({ transport: "udp", hostname, port, reuseAddress: this.#reusePort }),
        );
      }
    }
    return { channel: this.#channel, peer: this.#peer, peerAddr: this.#peerAddr };
  }

  /** @internal A transport took the socket and closed it. */
  _detach(): void {
    this.close();
  }

  /** @internal The connection, or `NotConnected`. */
  _stream(): Deno.Conn {
    this.#checkOpen();
    if (this.type !== SOCK_STREAM) {
      throw new RangeError(`a SOCK_STREAM socket is needed, not ${describeType(this.type)}`);
    }
    if (this.#conn === null) {
      throw new Deno.errors.NotConnected("Transport endpoint is not connected");
    }
    return this.#conn;
  }

  /** @internal Receives up to `nbytes` bytes of a connection. */
  async _recv(loop: EventLoop, nbytes: number): Promise<Uint8Array> {
    const conn = this._stream();
    for (;;) {
      const leftover = this.#leftover;
      if (leftover !== null) {
        if (leftover.length <= nbytes) {
          this.#leftover = null;
          return leftover;
        }
        this.#leftover = leftover.subarray(nbytes);
        return copyBytes(leftover, 0, nbytes);
      }
      const failed = this.#readError;
      if (failed !== null) {
        this.#readError = null;
        throw failed.error;
      }
      if (this.#eof) return new Uint8Array(0);
      if (this.#readOp === null) {
        const buffer = new Uint8Array(Math.min(nbytes, MAX_READ));
        this.#readOp = conn.read(buffer).then((n) => {
          this.#readOp = null;
          loop._ioTurn();
          if (n === null) this.#eof = true;
          else this.#leftover = n === buffer.length ? buffer : copyBytes(buffer, 0, n);
        }, (error) => {
          this.#readOp = null;
          this.#readError = { error };
        });
      }
      await awaitOp(loop, this.#readOp, noop);
    }
  }

  /** @internal Sends all of `data` on a connection, after any write still in flight. */
  async _sendall(loop: EventLoop, data: Uint8Array): Promise<void> {
    const conn = this._stream();
    let offset = 0;
    while (offset < data.length) {
      while (this.#writeOp !== null) await awaitOp(loop, this.#writeOp.then(noop, noop), noop);
      const op: Promise<number> = conn.write(offset === 0 ? data : data.subarray(offset));
      this.#writeOp = op;
      op.then(() => {
        if (this.#writeOp === op) this.#writeOp = null;
      }, () => {
        if (this.#writeOp === op) this.#writeOp = null;
      });
      offset += await awaitOp(loop, op, noop);
      loop._ioTurn();
    }
  }

  /** @internal Accepts one connection. */
  async _accept(loop: EventLoop): Promise<Deno.Conn> {
    this.#checkOpen();
    if (this.type !== SOCK_STREAM || this.#listener === null || !this.#listening) {
      throw new RangeError(
        "sockAccept() needs a listening SOCK_STREAM socket: bind() and listen()",
      );
    }
    const listener = this.#listener;
    for (;;) {
      const conn = this.#accepted.shift();
      if (conn !== undefined) return conn;
      const failed = this.#acceptError;
      if (failed !== null) {
        this.#acceptError = null;
        throw failed.error;
      }
      if (this.#acceptOp === null) {
        this.#acceptOp = listener.accept().then((conn) => {
          this.#acceptOp = null;
          loop._ioTurn();
          if (this.#closed) closeQuietly(conn);
          else this.#accepted.push(conn);
        }, (error) => {
          this.#acceptOp = null;
          if (!this.#closed) this.#acceptError = { error };
        });
      }
      await awaitOp(loop, this.#acceptOp, noop);
      this.#checkOpen();
    }
  }

  /** @internal Receives one datagram (from the peer only, once connected). */
  async _recvfrom(loop: EventLoop): Promise<Received> {
    const { channel } = this._datagramChannel();
    const peer = this.#peer;
    for (;;) {
      const datagram = this.#datagrams.shift();
      if (datagram !== undefined) {
        if (peer === null || this.#fromPeer(datagram[1])) return datagram;
        continue;
      }
      const failed = this.#receiveError;
      if (failed !== null) {
        this.#receiveError = null;
        throw failed.error;
      }
      if (this.#receiveOp === null) {
        const buffer = this.#receiveBuffer ??= new Uint8Array(
          channel.unix ? UNIX_MAX_SIZE : UDP_MAX_SIZE,
        );
        this.#receiveOp = channel.receive(buffer).then(([view, from]) => {
          this.#receiveOp = null;
          loop._ioTurn();
          this.#datagrams.push([copyBytes(buffer, 0, view.length), from]);
        }, (error) => {
          this.#receiveOp = null;
          if (!this.#closed) this.#receiveError = { error };
        });
      }
      await awaitOp(loop, this.#receiveOp, noop);
      this.#checkOpen();
    }
  }

  #fromPeer(from: Deno.Addr): boolean {
    const peer = this.#peerAddr!;
    if (typeof peer === "string") return (from as Deno.UnixAddr).path === peer;
    return isInetAddr(from, canonicalHost(peer[0]), peer[1]);
  }

  /** @internal Sends one datagram. */
  async _sendto(loop: EventLoop, data: Uint8Array, address: Address | null): Promise<number> {
    let target: Deno.Addr;
    if (address === null) {
      if (this.#peer === null) {
        this._datagramChannel();
        throw new Deno.errors.NotConnected("Destination address required: sockConnect() first");
      }
      target = this.#peer;
    } else {
      const checked = this.#checkAddress(address, "sockSendto() address");
      if (typeof checked === "string") {
        target = { transport: "unixpacket", path: checked };
      } else {
        target = { transport: "udp", hostname: checked[0], port: checked[1] };
      }
    }
    // An unbound socket binds to the wildcard address, as the kernel does.
    const { channel } = this._datagramChannel();
    let n: number;
    try {
      n = await awaitOp(loop, channel.send(data, target), noop);
    } catch (error) {
      throw sendAccess(error, target);
    }
    loop._ioTurn();
    return n;
  }

  /** @internal Connects the socket. */
  async _connect(loop: EventLoop, address: Address): Promise<void> {
    this.#checkOpen();
    const checked = this.#checkAddress(address, "sockConnect() address");
    if (this.#connecting) throw new Deno.errors.Busy("a sockConnect() is already in progress");
    let resolved: Address = checked;
    this.#connecting = true;
    try {
      if (typeof checked !== "string") {
        const [host, port] = checked;
        if (ipFamily(host) === 0) {
          const infos = await getaddrinfo(host === "" ? null : host, port, {
            family: this.family,
            type: this.type,
          });
          if (infos.length === 0) {
            throw new Deno.errors.NotFound("getaddrinfo() returned empty list");
          }
          resolved = infos[0][4];
        }
      }
      if (this.type === SOCK_DGRAM) {
        const local: [string, number] | null =
          typeof resolved !== "string" && isLoopback(resolved[0]) ? [resolved[0], 0] : null;
        this._datagramChannel(local);
        this.#peerAddr = resolved;
        this.#peer = typeof resolved === "string"
          ? { transport: "unixpacket", path: resolved }
          : { transport: "udp", hostname: resolved[0], port: resolved[1] };
        return;
      }
      if (this.#conn !== null) throw new RangeError("the socket is already connected");
      if (this.#listener !== null) {
        throw new NotImplementedError(
          "sockConnect() on a bound SOCK_STREAM socket: Deno.connect cannot bind the local end " +
            "of a connection; connect an unbound socket",
        );
      }
      const connecting: Promise<Deno.Conn> = typeof resolved === "string"
        ? Deno.connect({ transport: "unix", path: resolved })
        : Deno.connect({ hostname: resolved[0], port: resolved[1] });
      let conn: Deno.Conn;
      try {
        conn = await awaitOp<Deno.Conn>(loop, connecting, closeQuietly);
      } catch (error) {
        throw typeof resolved === "string"
          ? unixAccess(error, resolved)
          : netAccess(error, resolved[0], resolved[1]);
      }
      loop._ioTurn();
      if (this.#closed) {
        closeQuietly(conn);
        this.#checkOpen();
      }
      this.#conn = conn;
    } finally {
      this.#connecting = false;
    }
  }
}

/**
 * Makes a socket, as Python's `socket.socket(family, type)`: an `AF_INET`
 * `SOCK_STREAM` one by default.
 *
 * @example
 * ```ts
 * import { AF_INET6, SOCK_DGRAM, socket } from "@asyncio/asyncio";
 * using sock = socket(AF_INET6, SOCK_DGRAM);
 * console.log(sock.family === AF_INET6, sock.type === SOCK_DGRAM); // true true
 * ```
 */
export function socket(family: number = AF_INET, type: number = SOCK_STREAM, proto = 0): Socket {
  return new Socket(family, type, proto);
}

/**
 * Makes two connected sockets, as Python's `socket.socketpair(family,
 * type)`: `AF_UNIX` by default, or `AF_INET`/`AF_INET6` over loopback.
 * Deno's connect and accept are asynchronous, so this returns a promise:
 * `const [rsock, wsock] = await socketpair()`.
 *
 * `AF_UNIX` listens on a socket in a fresh temporary directory (Deno asks
 * for `--allow-net --allow-read --allow-write` for it) and removes the
 * directory once both ends are connected; `AF_INET` and `AF_INET6` listen
 * on `127.0.0.1` or `::1`, port 0 (`--allow-net=127.0.0.1` or
 * `--allow-net=[::1]`), and close the listener once the connection is
 * accepted. As in Python's own loopback socketpair (for platforms without
 * one), an accepted connection that is not the pair's own is refused
 * (`Deno.errors.ConnectionAborted`). On any failure nothing is left open.
 *
 * `RangeError` for a family other than `AF_UNIX`, `AF_INET`, `AF_INET6` or
 * a type other than `SOCK_STREAM`; `SOCK_DGRAM` throws
 * `NotImplementedError` (Deno cannot connect datagram sockets). The awaits
 * are Deno's own, not cancellation points of a task.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socketpair } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const [rsock, wsock] = await socketpair();
 *   using _r = rsock;
 *   using _w = wsock;
 *   await loop.sockSendall(wsock, new TextEncoder().encode("abc"));
 *   console.log(new TextDecoder().decode(await loop.sockRecv(rsock, 100))); // "abc"
 * });
 * ```
 */
export async function socketpair(
  family: number = AF_UNIX,
  type: number = SOCK_STREAM,
): Promise<[Socket, Socket]> {
  if (family !== AF_UNIX && family !== AF_INET && family !== AF_INET6) {
    throw new RangeError(
      `socketpair(): family must be AF_UNIX, AF_INET or AF_INET6, got ${String(family)}`,
    );
  }
  if (type === SOCK_DGRAM) {
    throw new NotImplementedError(
      "socketpair(..., SOCK_DGRAM): Deno cannot connect a datagram socket; use SOCK_STREAM " +
        "or two datagram endpoints",
    );
  }
  if (type !== SOCK_STREAM) {
    throw new RangeError(`socketpair(): type must be SOCK_STREAM, got ${String(type)}`);
  }
  const [first, second] = family === AF_UNIX
    ? await unixPair()
    : await inetPair(family === AF_INET ? "127.0.0.1" : "::1");
  return [Socket.from(first), Socket.from(second)];
}

// The accepted end and the connecting end, through `listener`; on failure
// both are closed. The listener is closed in every case.
async function connectThrough(
  listener: Deno.Listener,
  connect: () => Promise<Deno.Conn>,
): Promise<[Deno.Conn, Deno.Conn]> {
  const accepting = listener.accept();
  accepting.catch(noop);
  let connected: Deno.Conn;
  try {
    connected = await connect();
  } catch (error) {
    closeQuietly(listener);
    await accepting.then(closeQuietly, noop);
    throw error;
  }
  let accepted: Deno.Conn;
  try {
    accepted = await accepting;
  } catch (error) {
    closeQuietly(connected);
    throw error;
  } finally {
    closeQuietly(listener);
  }
  const local = connected.localAddr;
  const remote = accepted.remoteAddr;
  if (
    local.transport === "tcp" && remote.transport === "tcp" &&
    (local.hostname !== remote.hostname || local.port !== remote.port)
  ) {
    closeQuietly(accepted);
    closeQuietly(connected);
    throw new Deno.errors.ConnectionAborted("socketpair(): unexpected peer connection");
  }
  return [accepted, connected];
}

async function inetPair(hostname: string): Promise<[Deno.Conn, Deno.Conn]> {
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname, port: 0 });
  } catch (error) {
    throw netAccess(error, hostname);
  }
  const { port } = listener.addr as Deno.NetAddr;
  return await connectThrough(listener, async () => {
    try {
      return await Deno.connect({ hostname, port });
    } catch (error) {
      throw netAccess(error, hostname);
    }
  });
}

// Deno 2.9.6 checks net access to "unix:<path>" as well as read and write
// access to the path for a Unix socket, and write access to make the
// temporary directory: any of them missing names all three flags.
function unixPairAccess(error: unknown, resource: string): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  return notCapable(
    "net, read and write",
    resource,
    ["--allow-net", "--allow-read", "--allow-write"],
    error,
    " (socketpair(AF_UNIX) makes a Unix socket in a temporary directory; " +
      "socketpair(AF_INET) needs only --allow-net=127.0.0.1)",
  );
}

async function unixPair(): Promise<[Deno.Conn, Deno.Conn]> {
  let dir: string;
  try {
    dir = await Deno.makeTempDir({ prefix: "asyncio-socketpair-" });
  } catch (error) {
    throw unixPairAccess(error, "<TMP>");
  }
  const path = `${dir}/socket`;
  try {
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ transport: "unix", path });
    } catch (error) {
      throw unixPairAccess(error, path);
    }
    return await connectThrough(listener, async () => {
      try {
        return await Deno.connect({ transport: "unix", path });
      } catch (error) {
        throw unixPairAccess(error, path);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(noop);
  }
}

function checkSocket(sock: unknown, what: string): Socket {
  if (!(sock instanceof Socket)) {
    throw new TypeError(`${what}: sock must be a Socket (made by socket()), not ${typeof sock}`);
  }
  return sock;
}

function checkSize(n: unknown, what: string): number {
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw new TypeError(`${what} must be an integer, not ${typeof n}`);
  }
  if (n < 0) throw new RangeError(`negative ${what} in recv`);
  return n;
}

/**
 * `loop.sockRecv`: receives up to `nbytes` bytes from a connected socket;
 * an empty `Uint8Array` at EOF. On a `SOCK_DGRAM` socket, one datagram
 * (cut to `nbytes`). Bytes that arrive after the call was cancelled are
 * returned by the next call.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket();
 *   server.listen();
 *   using client = socket();
 *   const [[conn]] = await Promise.all([
 *     loop.sockAccept(server),
 *     loop.sockConnect(client, ["127.0.0.1", (server.getsockname() as [string, number])[1]]),
 *   ]);
 *   conn.close();
 *   console.log((await loop.sockRecv(client, 1024)).length); // 0: EOF
 * });
 * ```
 */
export async function sockRecv(loop: EventLoop, sock: Socket, nbytes: number): Promise<Uint8Array> {
  checkSocket(sock, "sockRecv()");
  const n = checkSize(nbytes, "buffersize");
  if (sock.type === SOCK_DGRAM) {
    const [data] = await sock._recvfrom(loop);
    return data.length > n ? data.subarray(0, n) : data;
  }
  if (n === 0) {
    sock._stream();
    return new Uint8Array(0);
  }
  return await sock._recv(loop, n);
}

/**
 * `loop.sockRecvInto`: receives into `buf`; resolves to the number of
 * bytes received (0 at EOF).
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket();
 *   server.listen();
 *   using client = socket();
 *   const [[conn]] = await Promise.all([
 *     loop.sockAccept(server),
 *     loop.sockConnect(client, ["127.0.0.1", (server.getsockname() as [string, number])[1]]),
 *   ]);
 *   using _conn = conn;
 *   await loop.sockSendall(conn, new Uint8Array([1, 2, 3]));
 *   const buf = new Uint8Array(10);
 *   console.log(await loop.sockRecvInto(client, buf)); // 3
 * });
 * ```
 */
export async function sockRecvInto(
  loop: EventLoop,
  sock: Socket,
  buf: Uint8Array,
): Promise<number> {
  checkSocket(sock, "sockRecvInto()");
  const target = toBytes(buf, "buf");
  const data = await sockRecv(loop, sock, target.length);
  target.set(data);
  return data.length;
}

/**
 * `loop.sockRecvfrom`: receives one datagram of up to `bufsize` bytes (a
 * longer one is cut, as the OS does) and its sender: `[data, address]`.
 * On a `SOCK_STREAM` socket, bytes and the peer's address.
 *
 * @example
 * ```ts
 * import { AF_INET, getRunningLoop, run, SOCK_DGRAM, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using a = socket(AF_INET, SOCK_DGRAM);
 *   using b = socket(AF_INET, SOCK_DGRAM);
 *   a.bind(["127.0.0.1", 0]);
 *   b.bind(["127.0.0.1", 0]);
 *   await loop.sockSendto(a, new Uint8Array([42]), b.getsockname());
 *   const [data, from] = await loop.sockRecvfrom(b, 100);
 *   console.log(data, from[1] === (a.getsockname() as [string, number])[1]); // Uint8Array(1) [ 42 ] true
 * });
 * ```
 */
export async function sockRecvfrom(
  loop: EventLoop,
  sock: Socket,
  bufsize: number,
): Promise<[Uint8Array, Address]> {
  checkSocket(sock, "sockRecvfrom()");
  const n = checkSize(bufsize, "buffersize");
  if (sock.type === SOCK_STREAM) {
    const data = await sockRecv(loop, sock, n);
    return [data, sock.getpeername()];
  }
  const [data, from] = await sock._recvfrom(loop);
  return [data.length > n ? data.subarray(0, n) : data, toAddress(from)];
}

/**
 * `loop.sockRecvfromInto`: receives one datagram into `buf` (at most
 * `nbytes` bytes of it, all of `buf` when 0): `[nbytes, address]`.
 *
 * @example
 * ```ts
 * import { AF_INET, getRunningLoop, run, SOCK_DGRAM, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using a = socket(AF_INET, SOCK_DGRAM);
 *   a.bind(["127.0.0.1", 0]);
 *   await loop.sockSendto(a, new Uint8Array([1, 2]), a.getsockname());
 *   const buf = new Uint8Array(8);
 *   const [n] = await loop.sockRecvfromInto(a, buf);
 *   console.log(n, buf[1]); // 2 2
 * });
 * ```
 */
export async function sockRecvfromInto(
  loop: EventLoop,
  sock: Socket,
  buf: Uint8Array,
  nbytes = 0,
): Promise<[number, Address]> {
  checkSocket(sock, "sockRecvfromInto()");
  const target = toBytes(buf, "buf");
  let n = checkSize(nbytes, "nbytes");
  if (n === 0) n = target.length;
  else if (n > target.length) {
    throw new RangeError("nbytes is greater than the length of the buffer");
  }
  const [data, from] = await sockRecvfrom(loop, sock, n);
  target.set(data);
  return [data.length, from];
}

/**
 * `loop.sockSendall`: sends all of `data` on a connected socket (one
 * datagram on a connected `SOCK_DGRAM` socket). A string is a `TypeError`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket();
 *   server.listen();
 *   using client = socket();
 *   await loop.sockConnect(client, ["127.0.0.1", (server.getsockname() as [string, number])[1]]);
 *   const [conn] = await loop.sockAccept(server);
 *   using _conn = conn;
 *   await loop.sockSendall(client, new Uint8Array(100_000));
 *   client.close();
 *   let total = 0;
 *   for (let n = -1; n !== 0; total += n) n = (await loop.sockRecv(conn, 65536)).length;
 *   console.log(total); // 100000
 * });
 * ```
 */
export async function sockSendall(loop: EventLoop, sock: Socket, data: Uint8Array): Promise<void> {
  checkSocket(sock, "sockSendall()");
  const bytes = toBytes(data);
  if (sock.type === SOCK_DGRAM) {
    await sock._sendto(loop, bytes, null);
    return;
  }
  sock._stream();
  if (bytes.length === 0) return;
  await sock._sendall(loop, bytes);
}

/**
 * `loop.sockSendto`: sends one datagram to `address` (`[host, port]`, or
 * a path); resolves to the number of bytes sent. An unbound socket is bound
 * to a free port first. Deno's error (`Message too long` for an over-large
 * datagram, ...) rejects the call.
 *
 * @example
 * ```ts
 * import { AF_INET, getRunningLoop, run, SOCK_DGRAM, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using receiver = socket(AF_INET, SOCK_DGRAM);
 *   receiver.bind(["127.0.0.1", 0]);
 *   using sender = socket(AF_INET, SOCK_DGRAM);
 *   console.log(await loop.sockSendto(sender, new Uint8Array(5), receiver.getsockname())); // 5
 * });
 * ```
 */
export async function sockSendto(
  loop: EventLoop,
  sock: Socket,
  data: Uint8Array,
  address: Address,
): Promise<number> {
  checkSocket(sock, "sockSendto()");
  const bytes = toBytes(data);
  if (sock.type !== SOCK_DGRAM) {
    throw new RangeError("sockSendto() needs a SOCK_DGRAM socket; use sockSendall()");
  }
  if (address === undefined || address === null) {
    throw new TypeError("sockSendto() needs an address");
  }
  return await sock._sendto(loop, bytes, address);
}

/**
 * `loop.sockConnect`: connects `sock` to `address` (a host name is
 * resolved with `getaddrinfo`); a refused connection rejects with
 * `Deno.errors.ConnectionRefused`. On a `SOCK_DGRAM` socket, sets the
 * default destination and keeps only that peer's datagrams.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket();
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   using client = socket();
 *   await loop.sockConnect(client, server.getsockname());
 *   console.log(client.getpeername()[1] === server.getsockname()[1]); // true
 *   const [conn] = await loop.sockAccept(server);
 *   conn.close();
 * });
 * ```
 */
export async function sockConnect(loop: EventLoop, sock: Socket, address: Address): Promise<void> {
  checkSocket(sock, "sockConnect()");
  await sock._connect(loop, address);
}

/**
 * `loop.sockAccept`: accepts a connection on a listening socket:
 * `[socket, address]`. A connection that arrives after the call was
 * cancelled is returned by the next call.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, socket } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   using server = socket();
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   const conn = await Deno.connect({ hostname: "127.0.0.1", port: (server.getsockname() as [string, number])[1] });
 *   const [accepted, address] = await loop.sockAccept(server);
 *   console.log(address[0]); // "127.0.0.1"
 *   accepted.close();
 *   conn.close();
 * });
 * ```
 */
export async function sockAccept(loop: EventLoop, sock: Socket): Promise<[Socket, Address]> {
  checkSocket(sock, "sockAccept()");
  const conn = await sock._accept(loop);
  return [Socket.from(conn), toAddress(conn.remoteAddr)];
}
