/**
 * `getaddrinfo` and `getnameinfo` on the system resolver (Deno's
 * `node:dns`, which reads `/etc/hosts` and works offline).
 *
 * @module
 */
import dns from "node:dns";
import { resolverAccess } from "../loop/_permissions.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_PASSIVE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "./constants.ts";

/** One answer of `getaddrinfo`: `[family, type, proto, canonname, [host, port]]`. */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: [string, number],
];

/** Options of `getaddrinfo`, as Python's keyword arguments. */
export interface GetaddrinfoOptions {
  /** `AF_INET`, `AF_INET6` or `AF_UNSPEC` (0, the default: both). */
  family?: number;
  /** `SOCK_STREAM`, `SOCK_DGRAM`, or 0 for every type. */
  type?: number;
  /** The protocol; 0 for the type's usual one. */
  proto?: number;
  /** `AI_PASSIVE`, `AI_CANONNAME`, `AI_NUMERICHOST`. */
  flags?: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The family of a numeric address (`AF_INET` or `AF_INET6`), or 0 for a name. */
export function ipFamily(host: string): number {
  const v4 = IPV4.exec(host);
  if (v4 !== null && v4.slice(1).every((octet) => Number(octet) <= 255)) return AF_INET;
  if (host.includes(":") && /^[0-9a-fA-F:.]+(%.+)?$/.test(host)) return AF_INET6;
  return 0;
}

/** Checks a port: an integer from 0 to 65535, or a numeric string; `null` is 0. */
export function checkPort(port: unknown): number {
  if (port === undefined || port === null) return 0;
  const value = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`port must be an integer or a numeric string, not ${JSON.stringify(port)}`);
  }
  if (value < 0 || value > 65535) throw new RangeError(`port must be 0-65535, got ${value}`);
  return value;
}

function notFound(host: string, cause: unknown): Error {
  return new Deno.errors.NotFound(`getaddrinfo failed for ${JSON.stringify(host)}`, { cause });
}

async function resolveHost(host: string | null, family: number, flags: number) {
  if (host === null) {
    const passive = (flags & AI_PASSIVE) !== 0;
    const v4 = { address: passive ? "0.0.0.0" : "127.0.0.1", family: AF_INET };
    const v6 = { address: passive ? "::" : "::1", family: AF_INET6 };
    return family === AF_INET ? [v4] : family === AF_INET6 ? [v6] : [v4, v6];
  }
  const literal = ipFamily(host);
  if (literal !== 0) {
    if (family !== AF_UNSPEC && family !== literal) throw notFound(host, "address family mismatch");
    return [{ address: host, family: literal }];
  }
  if ((flags & AI_NUMERICHOST) !== 0) throw notFound(host, "AI_NUMERICHOST: not a numeric host");
  let found: dns.LookupAddress[];
  try {
    found = await dns.promises.lookup(host, {
      all: true,
      family: family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0,
      verbatim: true,
    });
  } catch (error) {
    const denied = resolverAccess(error, host);
    throw denied === error ? notFound(host, error) : denied;
  }
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? AF_INET6 : AF_INET }));
}

/**
 * Resolves `host` and `port` into socket addresses with the system
 * resolver, as `socket.getaddrinfo`: a list of
 * `[family, type, proto, canonname, [host, port]]`. With no host, the
 * loopback addresses, or with `AI_PASSIVE` the wildcard ones. A name that
 * cannot be resolved rejects with `Deno.errors.NotFound`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, SOCK_STREAM } from "@asyncio/asyncio";
 * await run(async () => {
 *   const infos = await getRunningLoop().getaddrinfo("localhost", 80, { type: SOCK_STREAM });
 *   console.log(infos[0][4]); // ["127.0.0.1", 80]
 * });
 * ```
 */
export async function getaddrinfo(
  host: string | null | undefined,
  port: number | string | null | undefined,
  options: GetaddrinfoOptions = {},
): Promise<AddrInfo[]> {
  const { family = AF_UNSPEC, type = 0, proto = 0, flags = 0 } = options;
  if (![AF_UNSPEC, AF_INET, AF_INET6].includes(family)) {
    throw new RangeError(`family must be AF_UNSPEC, AF_INET or AF_INET6, got ${family}`);
  }
  if (host !== null && host !== undefined && typeof host !== "string") {
    throw new TypeError(`host must be a string, not ${typeof host}`);
  }
  const portNumber = checkPort(port);
  const addresses = await resolveHost(host || null, family, flags);
  const types = type === 0 ? [SOCK_STREAM, SOCK_DGRAM, SOCK_RAW] : [type];
  const canonname = (flags & AI_CANONNAME) !== 0 && host ? host : "";
  const infos: AddrInfo[] = [];
  for (const { address, family: fam } of addresses) {
    for (const socktype of types) {
      const p = proto !== 0
        ? proto
        : socktype === SOCK_STREAM
        ? IPPROTO_TCP
        : socktype === SOCK_DGRAM
        ? IPPROTO_UDP
        : 0;
      infos.push([fam, socktype, p, infos.length === 0 ? canonname : "", [address, portNumber]]);
    }
  }
  return infos;
}

/**
 * Turns a socket address into `[host, service]`, as `socket.getnameinfo`:
 * the host name from the system resolver (numeric with `NI_NUMERICHOST`)
 * and the service name (the port number with `NI_NUMERICSERV`).
 *
 * @example
 * ```ts
 * import { getRunningLoop, NI_NUMERICHOST, NI_NUMERICSERV, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const flags = NI_NUMERICHOST | NI_NUMERICSERV;
 *   console.log(await loop.getnameinfo(["127.0.0.1", 8080], flags)); // ["127.0.0.1", "8080"]
 * });
 * ```
 */
export async function getnameinfo(
  sockaddr: [string, number],
  flags = 0,
): Promise<[string, string]> {
  if (!Array.isArray(sockaddr) || sockaddr.length < 2 || typeof sockaddr[0] !== "string") {
    throw new TypeError("getnameinfo() takes a [host, port] address");
  }
  const [host, port] = [sockaddr[0], checkPort(sockaddr[1])];
  if (ipFamily(host) === 0) {
    throw new TypeError("getnameinfo() takes a numeric host address, as socket.getnameinfo");
  }
  const numericHost = (flags & NI_NUMERICHOST) !== 0;
  const numericServ = (flags & NI_NUMERICSERV) !== 0;
  if (numericHost && numericServ) return [host, String(port)];
  let found: { hostname: string; service: string };
  try {
    found = await dns.promises.lookupService(host, port);
  } catch (error) {
    const denied = resolverAccess(error, host, port);
    if (denied !== error) throw denied;
    throw new Deno.errors.NotFound(`getnameinfo failed for ${host}`, { cause: error });
  }
  return [numericHost ? host : found.hostname, numericServ ? String(port) : found.service];
}
