/**
 * Datagram endpoints: `loop.createDatagramEndpoint` and its transport, on
 * Deno's `Deno.listenDatagram` (UDP over IPv4 and IPv6, and Unix datagram
 * sockets). `Deno.listenDatagram` exists only with Deno's `--unstable-net`
 * flag (`"unstable": ["net"]` in `deno.json`); without it
 * `createDatagramEndpoint` throws `Deno.errors.NotCapable` naming it.
 *
 * What differs from CPython, because of what Deno offers:
 *
 * - Deno has no `connect()` for datagram sockets, so `remoteAddr` is kept
 *   by the transport: `sendto(data)` goes there, and datagrams from other
 *   addresses are dropped, as the kernel drops them for a connected socket.
 *   Since the socket is not connected, an unreachable peer does not show as
 *   `ConnectionRefused` in `errorReceived` (Linux reports ICMP errors to
 *   connected sockets only).
 * - `allowBroadcast`: Deno sets `SO_BROADCAST` on every UDP socket, so
 *   broadcasting works with or without it and `false` cannot forbid it. As
 *   in asyncio, with `allowBroadcast` a `remoteAddr` is not "connected": it
 *   is the default destination, datagrams from anyone are delivered, and
 *   there is no `peername`.
 * - `reusePort`: Deno offers `reuseAddress` rather than `SO_REUSEPORT` for
 *   datagram sockets; `reusePort: true` binds with it (`SO_REUSEADDR` on
 *   Linux). Several sockets (in this process or others doing the same) can
 *   then bind one address and port, which is what multicast receivers need;
 *   but the kernel does not spread unicast datagrams over them as
 *   `SO_REUSEPORT` does (the socket bound last gets them), and a socket
 *   bound with `SO_REUSEPORT` alone (CPython's `reuse_port`) does not share
 *   with it.
 * - Without `localAddr`, the socket is bound at once to an ephemeral port
 *   (on the loopback address when `remoteAddr` is a loopback address, on
 *   the wildcard address otherwise), where CPython binds at the first send.
 * - Unix datagram sockets: Deno cannot send on one while a receive is
 *   pending, so the endpoint wakes its own pending receive (with a datagram
 *   from an unbound helper socket, which it drops) before it sends, and
 *   between queued sends it takes in what waits in its own queue, so that
 *   two endpoints flooding each other do not both block (a send to a peer
 *   whose queue is full, `net.unix.max_dgram_qlen` datagrams, waits, as in
 *   the kernel). An endpoint without `localAddr` is unbound: it can send,
 *   but it receives nothing (no peer can address it).
 *
 * @example
 * ```ts
 * import { DatagramProtocol, type DatagramTransport, getRunningLoop, run } from "@asyncio/asyncio";
 *
 * class Echo extends DatagramProtocol {
 *   transport!: DatagramTransport;
 *   override connectionMade(transport: DatagramTransport) {
 *     this.transport = transport;
 *   }
 *   override datagramReceived(data: Uint8Array, addr: [string, number] | string) {
 *     this.transport.sendto(data, addr);
 *   }
 * }
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const [server] = await loop.createDatagramEndpoint(() => new Echo(), {
 *     localAddr: ["127.0.0.1", 0],
 *   });
 *   const reply = loop.createFuture<string>();
 *   class Client extends DatagramProtocol {
 *     override datagramReceived(data: Uint8Array) {
 *       reply.setResult(new TextDecoder().decode(data));
 *     }
 *   }
 *   const [client] = await loop.createDatagramEndpoint(() => new Client(), {
 *     remoteAddr: server.getExtraInfo<[string, number]>("sockname"),
 *   });
 *   client.sendto(new TextEncoder().encode("ping"));
 *   console.log(await reply); // "ping"
 *   client.close();
 *   server.close();
 * });
 * ```
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import { logger } from "../loop/log.ts";
import { outsideTasks, taskContext } from "../loop/_context.ts";
import type { Future } from "../loop/futures.ts";
import type { DatagramProtocol } from "../protocols/protocols.ts";
import { DatagramTransport } from "./transports.ts";
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM } from "./constants.ts";
import { getaddrinfo, ipFamily } from "./dns.ts";
import { type Address, toAddress, TransportSocket } from "./trsock.ts";
import { Socket } from "./sockets.ts";
import { copyBytes, toBytes } from "./_bytes.ts";
import { reportFatalError, WriteFlowControl } from "./_flow_control.ts";
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
import { connectionMade } from "./_ops.ts";
import { sendAccess } from "../loop/_permissions.ts";

/** Options of `loop.createDatagramEndpoint`, Python's keyword arguments. */
export interface CreateDatagramEndpointOptions {
  /**
   * The local address to bind: `[host, port]` (the host goes through
   * `getaddrinfo`), or a path for a Unix datagram socket (a stale socket
   * file there is removed first, as asyncio does).
   */
  localAddr?: Address | null;
  /**
   * The remote address: `[host, port]` or a path. `sendto(data)` without an
   * address goes there, and only its datagrams are delivered (see the
   * module documentation: Deno's datagram sockets cannot connect).
   */
  remoteAddr?: Address | null;
  /**
   * `AF_INET`, `AF_INET6` or `AF_UNIX`; 0 (the default) lets `getaddrinfo`
   * choose, and a path as an address means `AF_UNIX`. Without addresses, a
   * family is required and the socket binds to its wildcard address.
   */
  family?: number;
  /** Passed to `getaddrinfo`. */
  proto?: number;
  /** Passed to `getaddrinfo`. */
  flags?: number;
  /**
   * Share the local port with other sockets: Deno binds with `reuseAddress`
   * (`SO_REUSEADDR`), not `SO_REUSEPORT`, so the kernel does not balance
   * unicast datagrams between them; see the module documentation.
   */
  reusePort?: boolean | null;
  /**
   * Allow sending to broadcast addresses. Deno sets `SO_BROADCAST` on every
   * UDP socket, so it is always allowed; as in asyncio this option makes
   * `remoteAddr` a default destination only (datagrams from any address are
   * delivered).
   */
  allowBroadcast?: boolean | null;
  /**
   * An existing datagram socket: a `Socket` of type `SOCK_DGRAM`, a
   * `Deno.DatagramConn`, or a `TransportSocket` of one. The transport owns
   * it from then on and closes it. Cannot be combined with the other options.
   */
  sock?: Socket | Deno.DatagramConn | TransportSocket | null;
}

// asyncio's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
const CONNLOST_WRITES_BEFORE_WARNING = 5;
// The largest datagram a receive takes whole: a UDP payload is at most
// 65507 (IPv4) or 65527 (IPv6) bytes; a Unix datagram at most the socket's
// send buffer, 256 KiB as asyncio's max_size.
const UDP_MAX_SIZE = 65536;
const UNIX_MAX_SIZE = 256 * 1024;

/** What the transport knows of its remote address. */
interface Remote {
  /** As `peername` and as compared by `sendto`: the resolved address. */
  address: Address;
  /** As the caller gave it (a host name, say), also accepted by `sendto`. */
  given: Address;
  /** Deno's form. */
  deno: Deno.Addr;
  /** Deliver only this peer's datagrams (no `allowBroadcast`). */
  connected: boolean;
}

interface DatagramTransportOptions {
  remote?: Remote | null;
  waiter?: Future<void> | null;
  /** Told when the transport closed its socket. */
  onClose?: (() => void) | null;
}

function sameAddress(a: unknown, b: Address): boolean {
  if (typeof b === "string") return a === b;
  return Array.isArray(a) && a.length >= 2 && typeof a[0] === "string" &&
    canonicalHost(a[0]) === canonicalHost(b[0]) && a[1] === b[1];
}

/**
 * The transport `createDatagramEndpoint` makes, after asyncio's
 * `_SelectorDatagramTransport`: one receive is outstanding while the
 * endpoint is open; `sendto` queues the datagram and sends go out one at a
 * time, in order. `getWriteBufferSize()` counts the bytes queued and in
 * flight; `pauseWriting()`/`resumeWriting()` follow the water marks (64 KiB
 * and 16 KiB by default), as for stream transports.
 */
class DatagramEndpointTransport extends DatagramTransport {
  #loop: EventLoop;
  #channel: DatagramChannel;
  #protocol: DatagramProtocol;
  #remote: Remote | null;
  #family: number;
  // The last sender's address as given to datagramReceived (frozen, as a
  // Python tuple is immutable) and Deno's form of it: a reply to it needs
  // no conversion.
  #lastFrom: Deno.Addr | null = null;
  #lastAddress: Address | null = null;
  #onClose: (() => void) | null;
  #closing = false;
  #connLost = 0;
  #calledConnectionLost = false;
  // sending
  #queue: [Uint8Array, Deno.Addr][] = [];
  #head = 0;
  #bufferSize = 0;
  #sending = false;
  #flow: WriteFlowControl;

  constructor(
    loop: EventLoop,
    channel: DatagramChannel,
    protocol: DatagramProtocol,
    options: DatagramTransportOptions = {},
  ) {
    const conn = channel.conn;
    const extra: Record<string, unknown> = { sockname: toAddress(conn.addr), socket: conn };
    const remote = options.remote ?? null;
    if (remote !== null && remote.connected) extra.peername = remote.address;
    super(extra);
    this.#loop = loop;
    this.#flow = new WriteFlowControl(loop, this);
    this.#channel = channel;
    this.#protocol = protocol;
    this.#remote = remote;
    this.#onClose = options.onClose ?? null;
    this.#family = channel.unix
      ? AF_UNIX
      : (conn.addr as Deno.NetAddr).hostname.includes(":")
      ? AF_INET6
      : AF_INET;
    const waiter = options.waiter ?? null;
    loop.callSoon(() => {
      try {
        this.#protocol.connectionMade(this);
      } catch (error) {
        this.#fatalError(error, "Fatal error: protocol.connectionMade() call failed.");
      }
      if (!this.#closing && channel.canReceive) outsideTasks(() => this.#readLoop());
      if (waiter !== null && !waiter.done()) waiter.setResult();
    });
  }

  override toString(): string {
    const state = this.#calledConnectionLost ? "closed" : this.#closing ? "closing" : "open";
    return `<DatagramTransport ${state} sockname=${JSON.stringify(this._extra.sockname)}>`;
  }

  override isClosing(): boolean {
    return this.#closing;
  }

  override setProtocol(protocol: DatagramProtocol): void {
    this.#protocol = protocol;
  }

  override getProtocol(): DatagramProtocol {
    return this.#protocol;
  }

  // ---- receiving --------------------------------------------------------------

  async #readLoop(): Promise<void> {
    const channel = this.#channel;
    const buffer = new Uint8Array(channel.unix ? UNIX_MAX_SIZE : UDP_MAX_SIZE);
    const remote = this.#remote !== null && this.#remote.connected ? this.#remote : null;
    for (;;) {
      if (this.#closing) return;
      let received: Received;
      try {
        received = await channel.receive(buffer);
      } catch (error) {
        if (this.#closing) return; // closed under the pending receive
        this.#loop._ioTurn();
        if (error instanceof Deno.errors.BadResource) {
          // The socket was closed behind the transport's back.
          this.#fatalError(error, "Fatal read error on datagram transport");
          return;
        }
        this.#errorReceived(error);
        // Let the loop run before trying again, should the error persist.
        await new Promise<void>((resolve) => this.#loop.callSoon(resolve));
        continue;
      }
      this.#loop._ioTurn();
      if (this.#closing) return;
      const [view, from] = received;
      if (remote !== null && !this.#fromRemote(from, remote)) continue;
      const data = copyBytes(buffer, 0, view.length);
      try {
        this.#protocol.datagramReceived(data, this.#address(from));
      } catch (exception) {
        // As on asyncio's selector loop: reported, and the endpoint goes on.
        this.#loop.callExceptionHandler({
          message: "Exception in protocol.datagramReceived()",
          exception,
          transport: this,
          protocol: this.#protocol,
        });
      }
    }
  }

  #address(from: Deno.Addr): Address {
    const last = this.#lastFrom;
    if (
      last !== null && (last as Deno.NetAddr).port === (from as Deno.NetAddr).port &&
      (last as Deno.NetAddr).hostname === (from as Deno.NetAddr).hostname &&
      (last as Deno.UnixAddr).path === (from as Deno.UnixAddr).path
    ) {
      return this.#lastAddress!;
    }
    const address = toAddress(from);
    if (typeof address !== "string") Object.freeze(address);
    this.#lastFrom = from;
    this.#lastAddress = address;
    return address;
  }

  #fromRemote(from: Deno.Addr, remote: Remote): boolean {
    if (typeof remote.address === "string") {
      return (from as Deno.UnixAddr).path === remote.address;
    }
    return isInetAddr(from, canonicalHost(remote.address[0]), remote.address[1]);
  }

  #errorReceived(error: unknown): void {
    const exc = error instanceof Error ? error : new Error(String(error));
    try {
      this.#protocol.errorReceived(exc);
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: "Exception in protocol.errorReceived()",
        exception,
        transport: this,
        protocol: this.#protocol,
      });
    }
  }

  // ---- sending ------------------------------------------------------------------

  /**
   * Sends `data` to `addr`, or to `remoteAddr` when the endpoint has one (a
   * different `addr` is a `RangeError`, Python's `ValueError`). Never
   * blocks: the datagram is queued and sent in order; a failed send goes to
   * `errorReceived` and the transport stays open. A string is a
   * `TypeError`; an empty `Uint8Array` sends an empty datagram.
   */
  override sendto(data: Uint8Array, addr?: Address | null): void {
    const bytes = toBytes(data);
    let target: Deno.Addr;
    const remote = this.#remote;
    if (remote !== null) {
      if (
        addr !== undefined && addr !== null && !sameAddress(addr, remote.address) &&
        !sameAddress(addr, remote.given)
      ) {
        throw new RangeError(
          `Invalid address: must be null or ${JSON.stringify(remote.address)}, ` +
            `got ${JSON.stringify(addr)}`,
        );
      }
      target = remote.deno;
    } else {
      if (addr === undefined || addr === null) {
        throw new TypeError("sendto() needs an address: the endpoint has no remoteAddr");
      }
      target = addr === this.#lastAddress ? this.#lastFrom! : this.#denoAddr(addr);
    }
    if (this.#connLost) {
      if (this.#connLost >= CONNLOST_WRITES_BEFORE_WARNING) {
        logger.warning("socket.send() raised exception.");
      }
      this.#connLost++;
      return;
    }
    // A copy, so that the caller may reuse its buffer at once.
    this.#queue.push([copyBytes(bytes, 0, bytes.length), target]);
    this.#bufferSize += bytes.length;
    if (!this.#sending) {
      this.#sending = true;
      if (taskContext.getStore() === undefined) this.#sendLoop();
      else outsideTasks(() => this.#sendLoop());
    }
    this.#maybePauseProtocol();
  }

  #denoAddr(addr: unknown): Deno.Addr {
    if (this.#family === AF_UNIX) {
      return { transport: "unixpacket", path: checkUnixAddress(addr, "sendto() address") };
    }
    const [hostname, port] = checkInetAddress(addr, "sendto() address");
    return { transport: "udp", hostname, port };
  }

  async #sendLoop(): Promise<void> {
    const channel = this.#channel;
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const [data, addr] = queue[this.#head];
      try {
        await channel.send(data, addr, this.#head + 1 < queue.length);
      } catch (error) {
        if (this.#calledConnectionLost || this.#queue !== queue) return; // aborted
        this.#loop._ioTurn();
        if (error instanceof Deno.errors.BadResource) {
          this.#fatalError(error, "Fatal write error on datagram transport");
          return;
        }
        this.#errorReceived(sendAccess(error, addr));
      }
      this.#loop._ioTurn();
      if (this.#queue !== queue) return; // aborted meanwhile
      queue[this.#head++] = undefined as unknown as [Uint8Array, Deno.Addr];
      this.#bufferSize -= data.length;
      this.#maybeResumeProtocol();
    }
    this.#queue = [];
    this.#head = 0;
    this.#sending = false;
    if (this.#closing) this.#loop.callSoon(this.#callConnectionLost, null);
  }

  /** The bytes queued and in flight. */
  override getWriteBufferSize(): number {
    return this.#bufferSize;
  }

  /** `[low, high]`, the water marks of the send queue. */
  override getWriteBufferLimits(): [number, number] {
    return this.#flow.limits();
  }

  /**
   * Sets the water marks of the send queue, in bytes: 64 KiB and a quarter
   * of it by default; `RangeError` unless `high >= low >= 0`.
   */
  override setWriteBufferLimits(high?: number, low?: number): void {
    this.#flow.setLimits(high, low);
    this.#maybePauseProtocol();
  }

  #maybePauseProtocol(): void {
    this.#flow.maybePause(this.#bufferSize, this.#protocol);
  }

  #maybeResumeProtocol(): void {
    this.#flow.maybeResume(this.#bufferSize, this.#protocol);
  }

  // ---- closing ------------------------------------------------------------------

  /**
   * Closes the endpoint: no more datagrams are delivered, the queued ones
   * are sent, then the socket closes and `connectionLost(null)` runs.
   */
  override close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#connLost++;
    if (!this.#sending) this.#loop.callSoon(this.#callConnectionLost, null);
  }

  /** Closes at once, dropping the queued datagrams; `connectionLost(null)` follows. */
  override abort(): void {
    this.#forceClose(null);
  }

  #fatalError(error: unknown, message: string): void {
    this.#forceClose(reportFatalError(this.#loop, this, this.#protocol, error, message));
  }

  #forceClose(error: Error | null): void {
    if (this.#calledConnectionLost) return;
    if (this.#closing && !this.#sending && error === null) return; // connectionLost is on its way
    this.#closing = true;
    this.#connLost++;
    this.#queue = [];
    this.#head = 0;
    this.#bufferSize = 0;
    this.#sending = false;
    this.#loop.callSoon(this.#callConnectionLost, error);
  }

  #callConnectionLost = (error: Error | null): void => {
    if (this.#calledConnectionLost) return;
    this.#calledConnectionLost = true;
    try {
      this.#protocol.connectionLost(error);
    } finally {
      this.#channel.close();
      const onClose = this.#onClose;
      this.#onClose = null;
      onClose?.();
    }
  };
}

// ---- createDatagramEndpoint -----------------------------------------------------

function channelOf(sock: Socket | Deno.DatagramConn | TransportSocket): {
  channel: DatagramChannel;
  peer: Remote | null;
  onClose: (() => void) | null;
} {
  if (sock instanceof Socket) {
    if (sock.type !== SOCK_DGRAM) {
      throw new RangeError(`A UDP Socket was expected, got ${sock}`);
    }
    const { channel, peer, peerAddr } = sock._datagramChannel();
    const remote: Remote | null = peer === null || peerAddr === null
      ? null
      : { address: peerAddr, given: peerAddr, deno: peer, connected: true };
    return { channel, peer: remote, onClose: () => sock._detach() };
  }
  const resource = sock instanceof TransportSocket ? sock.resource : sock;
  if (
    resource === null || typeof resource !== "object" ||
    typeof (resource as Deno.DatagramConn).receive !== "function" ||
    typeof (resource as Deno.DatagramConn).send !== "function"
  ) {
    throw new RangeError(`A UDP Socket was expected, got ${String(sock)}`);
  }
  return { channel: new DatagramChannel(resource as Deno.DatagramConn), peer: null, onClose: null };
}

function removeStaleSocket(path: string): void {
  try {
    if (Deno.lstatSync(path).isSocket) Deno.removeSync(path);
  } catch {
    // Not there, or not ours to remove: the bind will tell.
  }
}

async function resolveDatagramAddr(
  addr: unknown,
  what: string,
  family: number,
  proto: number,
  flags: number,
): Promise<[number, [string, number]][]> {
  if (!Array.isArray(addr) || addr.length !== 2) {
    throw new TypeError(`${what} must be a [host, port] tuple (2-tuple is expected)`);
  }
  const [host, port] = checkInetAddress(addr, what);
  const literal = ipFamily(host);
  if (literal !== 0 && (family === 0 || family === literal)) return [[literal, [host, port]]];
  const infos = await getaddrinfo(host === "" ? null : host, port, {
    family,
    type: SOCK_DGRAM,
    proto,
    flags,
  });
  if (infos.length === 0) throw new Deno.errors.NotFound("getaddrinfo() returned empty list");
  return infos.map(([fam, , , , sockaddr]) => [fam, sockaddr]);
}

/**
 * `loop.createDatagramEndpoint`: opens a UDP (or Unix datagram) socket and
 * wraps it in a transport; resolves to `[transport, protocol]` once
 * `connectionMade` ran. See the module documentation for what Deno allows
 * of `remoteAddr`, `reusePort` and `allowBroadcast`.
 */
export async function createDatagramEndpoint<P extends DatagramProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  options: CreateDatagramEndpointOptions = {},
): Promise<[DatagramTransport, P]> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a protocol");
  }
  const {
    localAddr = null,
    remoteAddr = null,
    family = 0,
    proto = 0,
    flags = 0,
    reusePort = false,
    allowBroadcast = false,
    sock = null,
  } = options;
  let channel: DatagramChannel;
  let remote: Remote | null = null;
  let onClose: (() => void) | null = null;
  if (sock !== null) {
    const given = { localAddr, remoteAddr, family, proto, flags, reusePort, allowBroadcast };
    const problems = Object.entries(given).filter(([, v]) => v).map(([k, v]) =>
      `${k}=${JSON.stringify(v)}`
    );
    if (problems.length > 0) {
      throw new RangeError(
        "socket modifier keyword arguments can not be used when sock is specified. " +
          `(${problems.join(", ")})`,
      );
    }
    ({ channel, peer: remote, onClose } = channelOf(sock));
  } else if (!localAddr && !remoteAddr) {
    if (family === AF_INET || family === AF_INET6) {
      const hostname = family === AF_INET ? "0.0.0.0" : "::";
      channel = new DatagramChannel(
        listenDatagram({ transport: "udp", hostname, port: 0, reuseAddress: !!reusePort }),
      );
    } else if (family === AF_UNIX) {
      channel = new DatagramChannel(listenDatagram({ transport: "unixpacket" }));
    } else {
      throw new RangeError("unexpected address family");
    }
  } else if (
    family === AF_UNIX ||
    (family === 0 && (typeof localAddr === "string" || typeof remoteAddr === "string"))
  ) {
    const local = localAddr ? checkUnixAddress(localAddr, "localAddr") : null;
    const peer = remoteAddr ? checkUnixAddress(remoteAddr, "remoteAddr") : null;
    if (local !== null) removeStaleSocket(local);
    channel = new DatagramChannel(
      listenDatagram(
        local === null ? { transport: "unixpacket" } : { transport: "unixpacket", path: local },
      ),
    );
    if (peer !== null) {
      remote = {
        address: peer,
        given: peer,
        deno: { transport: "unixpacket", path: peer },
        connected: !allowBroadcast,
      };
    }
  } else {
    if (![0, AF_INET, AF_INET6].includes(family)) {
      throw new RangeError(`family must be AF_INET, AF_INET6 or AF_UNIX, got ${family}`);
    }
    // Addresses by family; each given address needs one of the family.
    const pairs = new Map<number, [[string, number] | null, [string, number] | null]>();
    for (const [index, addr] of [[0, localAddr], [1, remoteAddr]] as const) {
      if (!addr) continue;
      const what = index === 0 ? "localAddr" : "remoteAddr";
      for (const [fam, sockaddr] of await resolveDatagramAddr(addr, what, family, proto, flags)) {
        const pair = pairs.get(fam) ?? [null, null];
        if (pair[index] === null) pair[index] = sockaddr;
        pairs.set(fam, pair);
      }
    }
    const usable = [...pairs].filter(([, [local, peer]]) =>
      !(localAddr && local === null) && !(remoteAddr && peer === null)
    );
    if (usable.length === 0) throw new RangeError("can not get address information");
    const errors: unknown[] = [];
    let opened: DatagramChannel | null = null;
    for (const [fam, [local, peer]] of usable) {
      const [hostname, port] = local ??
        [peer !== null && isLoopback(peer[0]) ? peer[0] : fam === AF_INET6 ? "::" : "0.0.0.0", 0];
      try {
        opened = new DatagramChannel(
          listenDatagram({ transport: "udp", hostname, port, reuseAddress: !!reusePort }),
        );
      } catch (error) {
        errors.push(error);
        continue;
      }
      if (peer !== null) {
        remote = {
          address: peer,
          given: remoteAddr as Address,
          deno: { transport: "udp", hostname: peer[0], port: peer[1] },
          connected: !allowBroadcast,
        };
      }
      break;
    }
    if (opened === null) throw errors[0];
    channel = opened;
  }
  let protocol: P;
  try {
    protocol = protocolFactory();
  } catch (error) {
    channel.close();
    throw error;
  }
  const waiter = loop.createFuture<void>();
  const transport = new DatagramEndpointTransport(loop, channel, protocol, {
    remote,
    waiter,
    onClose,
  });
  if (loop.getDebug()) {
    logger.debug(
      `Datagram endpoint localAddr=${JSON.stringify(localAddr)} ` +
        `remoteAddr=${JSON.stringify(remoteAddr)} created: ${transport}`,
    );
  }
  return await connectionMade(waiter, transport, protocol);
}
