/**
 * Socket constants with the values of Python's `socket` module on Linux,
 * for the `family`, `type`, `proto` and `flags` options.
 *
 * @example
 * ```ts
 * import { AF_INET, AF_INET6, SOCK_STREAM } from "@asyncio/asyncio";
 * console.log(AF_INET, AF_INET6, SOCK_STREAM); // 2 10 1
 * ```
 *
 * @module
 */

/** Any address family. */
export const AF_UNSPEC = 0;
/** Unix domain sockets (paths). */
export const AF_UNIX = 1;
/** IPv4. */
export const AF_INET = 2;
/** IPv6. */
export const AF_INET6 = 10;
/** A stream socket (TCP). */
export const SOCK_STREAM = 1;
/** A datagram socket (UDP). */
export const SOCK_DGRAM = 2;
/** A raw socket (listed by `getaddrinfo` only). */
export const SOCK_RAW = 3;
/** TCP. */
export const IPPROTO_TCP = 6;
/** UDP. */
export const IPPROTO_UDP = 17;
/** `getaddrinfo` flag: addresses for binding (all interfaces for no host). */
export const AI_PASSIVE = 1;
/** `getaddrinfo` flag: give the canonical name. */
export const AI_CANONNAME = 2;
/** `getaddrinfo` flag: the host must be a numeric address. */
export const AI_NUMERICHOST = 4;
/** `getnameinfo` flag: give the host as a numeric address. */
export const NI_NUMERICHOST = 1;
/** `getnameinfo` flag: give the port as a number. */
export const NI_NUMERICSERV = 2;
