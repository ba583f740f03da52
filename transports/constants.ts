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

/**
 * Any address family.
 *
 * @example
 * ```ts
 * import { AF_UNSPEC, getaddrinfo } from "@asyncio/asyncio";
 * const infos = await getaddrinfo("127.0.0.1", 80, { family: AF_UNSPEC });
 * console.log(infos.length > 0); // true
 * ```
 */
export const AF_UNSPEC = 0;
/**
 * Unix domain sockets (paths).
 *
 * @example
 * ```ts
 * import { AF_UNIX, socket } from "@asyncio/asyncio";
 * using sock = socket(AF_UNIX);
 * console.log(sock.family === AF_UNIX); // true
 * ```
 */
export const AF_UNIX = 1;
/**
 * IPv4.
 *
 * @example
 * ```ts
 * import { AF_INET, getaddrinfo } from "@asyncio/asyncio";
 * const [[family]] = await getaddrinfo("127.0.0.1", 80, { family: AF_INET });
 * console.log(family === AF_INET); // true
 * ```
 */
export const AF_INET = 2;
/**
 * IPv6.
 *
 * @example
 * ```ts
 * import { AF_INET6, getaddrinfo } from "@asyncio/asyncio";
 * const [[family]] = await getaddrinfo("::1", 80, { family: AF_INET6 });
 * console.log(family === AF_INET6); // true
 * ```
 */
export const AF_INET6 = 10;
/**
 * A stream socket (TCP).
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_STREAM, socket } from "@asyncio/asyncio";
 * using sock = socket(AF_INET, SOCK_STREAM);
 * console.log(sock.type === SOCK_STREAM); // true
 * ```
 */
export const SOCK_STREAM = 1;
/**
 * A datagram socket (UDP).
 *
 * @example
 * ```ts
 * import { getaddrinfo, SOCK_DGRAM } from "@asyncio/asyncio";
 * const infos = await getaddrinfo("127.0.0.1", 53, { type: SOCK_DGRAM });
 * console.log(infos.every(([, type]) => type === SOCK_DGRAM)); // true
 * ```
 */
export const SOCK_DGRAM = 2;
/**
 * A raw socket (listed by `getaddrinfo` only).
 *
 * @example
 * ```ts
 * import { getaddrinfo, SOCK_RAW } from "@asyncio/asyncio";
 * const infos = await getaddrinfo("127.0.0.1", 0, { type: SOCK_RAW });
 * console.log(infos.every(([, type]) => type === SOCK_RAW)); // true
 * ```
 */
export const SOCK_RAW = 3;
/**
 * TCP.
 *
 * @example
 * ```ts
 * import { getaddrinfo, IPPROTO_TCP } from "@asyncio/asyncio";
 * const infos = await getaddrinfo("127.0.0.1", 80, { proto: IPPROTO_TCP });
 * console.log(infos.every(([, , proto]) => proto === IPPROTO_TCP)); // true
 * ```
 */
export const IPPROTO_TCP = 6;
/**
 * UDP.
 *
 * @example
 * ```ts
 * import { getaddrinfo, IPPROTO_UDP } from "@asyncio/asyncio";
 * const infos = await getaddrinfo("127.0.0.1", 53, { proto: IPPROTO_UDP });
 * console.log(infos.every(([, , proto]) => proto === IPPROTO_UDP)); // true
 * ```
 */
export const IPPROTO_UDP = 17;
/**
 * `getaddrinfo` flag: addresses for binding (all interfaces for no host).
 *
 * @example
 * ```ts
 * import { AI_PASSIVE, getaddrinfo } from "@asyncio/asyncio";
 * const infos = await getaddrinfo(null, 8080, { flags: AI_PASSIVE });
 * console.log(infos.length > 0); // true
 * ```
 */
export const AI_PASSIVE = 1;
/**
 * `getaddrinfo` flag: give the canonical name.
 *
 * @example
 * ```ts
 * import { AI_CANONNAME, getaddrinfo } from "@asyncio/asyncio";
 * const [[, , , canonname]] = await getaddrinfo("127.0.0.1", 80, { flags: AI_CANONNAME });
 * console.log(typeof canonname); // "string"
 * ```
 */
export const AI_CANONNAME = 2;
/**
 * `getaddrinfo` flag: the host must be a numeric address.
 *
 * @example
 * ```ts
 * import { AI_NUMERICHOST, getaddrinfo } from "@asyncio/asyncio";
 * const [[, , , , sockaddr]] = await getaddrinfo("127.0.0.1", 80, { flags: AI_NUMERICHOST });
 * console.log(sockaddr); // ["127.0.0.1", 80]
 * ```
 */
export const AI_NUMERICHOST = 4;
/**
 * `getnameinfo` flag: give the host as a numeric address.
 *
 * @example
 * ```ts
 * import { getnameinfo, NI_NUMERICHOST, NI_NUMERICSERV } from "@asyncio/asyncio";
 * const [host] = await getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV);
 * console.log(host); // "127.0.0.1"
 * ```
 */
export const NI_NUMERICHOST = 1;
/**
 * `getnameinfo` flag: give the port as a number.
 *
 * @example
 * ```ts
 * import { getnameinfo, NI_NUMERICHOST, NI_NUMERICSERV } from "@asyncio/asyncio";
 * const [, port] = await getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV);
 * console.log(port); // "80"
 * ```
 */
export const NI_NUMERICSERV = 2;
