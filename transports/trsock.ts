/**
 * `TransportSocket`: what `Server.sockets` holds, as asyncio's
 * `trsock.TransportSocket`: a view of a Deno listener or connection with
 * the methods of a Python socket that make sense on it.
 *
 * @module
 */
import { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, SOCK_STREAM } from "./constants.ts";

/** An internet address `[host, port]`, or a Unix socket path. */
export type Address = [string, number] | string;

const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * Turns a Deno address into asyncio's form: `[host, port]` or a path. An
 * IPv4 peer of a dual-stack listener shows as its IPv4 address, as it
 * would on the separate IPv4 socket Python opens.
 */
export function toAddress(addr: Deno.Addr): Address {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    const mapped = MAPPED_IPV4.exec(addr.hostname);
    return [mapped === null ? addr.hostname : mapped[1], addr.port];
  }
  if (addr.transport === "unix" || addr.transport === "unixpacket") return addr.path ?? "";
  return String((addr as { path?: string }).path ?? "");
}

function familyOf(addr: Deno.Addr): number {
  if (addr.transport === "tcp" || addr.transport === "udp") {
    return addr.hostname.includes(":") ? AF_INET6 : AF_INET;
  }
  return AF_UNIX;
}

/** What a `TransportSocket` wraps. */
export type TransportSocketResource = Deno.Listener | Deno.Conn | Deno.DatagramConn;

function localAddr(resource: TransportSocketResource): Deno.Addr {
  return "localAddr" in resource ? resource.localAddr : resource.addr;
}

/**
 * A listener's or a connection's socket, as `server.sockets[0]` in asyncio:
 * `getsockname()`, `getpeername()`, `family`, `type`, and `resource`, the
 * Deno object itself.
 *
 * @example
 * ```ts
 * import { getRunningLoop, Protocol, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const server = await getRunningLoop().createServer(() => new Protocol(), "127.0.0.1", 0);
 *   const [host] = server.sockets[0].getsockname() as [string, number];
 *   console.log(host); // "127.0.0.1"
 *   server.close();
 *   await server.waitClosed();
 * });
 * ```
 */
export class TransportSocket {
  /** The Deno listener or connection. */
  readonly resource: TransportSocketResource;

  /** Wraps a Deno listener or connection. */
  constructor(resource: TransportSocketResource) {
    this.resource = resource;
  }

  /** The address family: `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  get family(): number {
    return familyOf(localAddr(this.resource));
  }

  /** The socket type: `SOCK_STREAM` or `SOCK_DGRAM`. */
  get type(): number {
    const transport = localAddr(this.resource).transport;
    return transport === "udp" || transport === "unixpacket" ? SOCK_DGRAM : SOCK_STREAM;
  }

  /** The local address: `[host, port]` or a path. */
  getsockname(): Address {
    return toAddress(localAddr(this.resource));
  }

  /** The remote address of a connection: `[host, port]` or a path. */
  getpeername(): Address {
    const conn = this.resource as Deno.Conn;
    if (conn.remoteAddr === undefined) throw new TypeError("a listener has no peer");
    return toAddress(conn.remoteAddr);
  }

  /** A description such as `<TransportSocket family=2 laddr=["127.0.0.1",8888]>`. */
  toString(): string {
    return `<TransportSocket family=${this.family} type=${this.type} laddr=${
      JSON.stringify(this.getsockname())
    }>`;
  }
}
