/**
 * The high-level stream functions: `openConnection`, `startServer` and
 * their Unix twins, as asyncio's.
 *
 * @module
 */
import { getRunningLoop } from "../loop/_running.ts";
import type {
  CreateConnectionOptions,
  CreateUnixConnectionOptions,
} from "../transports/connections.ts";
import type { CreateServerOptions, CreateUnixServerOptions, Server } from "../transports/server.ts";
import { DEFAULT_LIMIT, StreamReader } from "./stream_reader.ts";
import { type ClientConnectedCallback, StreamReaderProtocol } from "./stream_reader_protocol.ts";
import { StreamWriter } from "./stream_writer.ts";

/**
 * Options of `openConnection`: the reader's `limit` and `createConnection`'s
 * options, TLS included (`ssl`, `serverHostname`, `sslHandshakeTimeout`,
 * `sslShutdownTimeout`).
 */
export interface OpenConnectionOptions extends CreateConnectionOptions {
  /** The reader's buffer limit in bytes (64 KiB by default). */
  limit?: number;
}

/**
 * Options of `startServer`: the readers' `limit` and `createServer`'s
 * options, TLS included (`ssl`, `sslHandshakeTimeout`, `sslShutdownTimeout`).
 */
export interface StartServerOptions extends CreateServerOptions {
  /** Each reader's buffer limit in bytes (64 KiB by default). */
  limit?: number;
}

/** Options of `openUnixConnection`. */
export interface OpenUnixConnectionOptions extends CreateUnixConnectionOptions {
  /** The reader's buffer limit in bytes (64 KiB by default). */
  limit?: number;
}

/** Options of `startUnixServer`. */
export interface StartUnixServerOptions extends CreateUnixServerOptions {
  /** Each reader's buffer limit in bytes (64 KiB by default). */
  limit?: number;
}

function splitLimit<T extends { limit?: number }>(options: T): [number, Omit<T, "limit">] {
  const { limit = DEFAULT_LIMIT, ...rest } = options;
  return [limit, rest];
}

function checkCallback(callback: unknown): void {
  if (typeof callback !== "function") {
    throw new TypeError("clientConnectedCb must be a function (reader, writer) => ...");
  }
}

/**
 * Connects to `host` and `port` and returns `[reader, writer]`.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@asyncio/asyncio";
 * await run(async () => {
 *   await using server = await startServer((_reader, writer) => {
 *     writer.write(new TextEncoder().encode("welcome\n"));
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [reader, writer] = await openConnection("127.0.0.1", port);
 *   console.log(new TextDecoder().decode(await reader.read())); // "welcome\n"
 *   writer.close();
 * });
 * ```
 */
export async function openConnection(
  host?: string | null,
  port?: number | string | null,
  options: OpenConnectionOptions = {},
): Promise<[StreamReader, StreamWriter]> {
  const loop = getRunningLoop();
  const [limit, rest] = splitLimit(options);
  const reader = new StreamReader(limit, loop);
  const protocol = new StreamReaderProtocol(reader, null, loop);
  const [transport] = await loop.createConnection(() => protocol, host, port, rest);
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * Starts a server on `host` and `port`; `clientConnectedCb(reader, writer)`
 * is called for each connection (an async callback runs as a task).
 *
 * @example
 * ```ts
 * import { run, startServer } from "@asyncio/asyncio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     for await (const line of reader) writer.write(line);
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   console.log(server.isServing()); // true
 * });
 * ```
 */
export async function startServer(
  clientConnectedCb: ClientConnectedCallback,
  host?: string | string[] | null,
  port?: number | string | null,
  options: StartServerOptions = {},
): Promise<Server> {
  checkCallback(clientConnectedCb);
  const loop = getRunningLoop();
  const [limit, rest] = splitLimit(options);
  return await loop.createServer(
    () => new StreamReaderProtocol(new StreamReader(limit, loop), clientConnectedCb, loop),
    host,
    port,
    rest,
  );
}

/**
 * `openConnection` for the Unix socket at `path`.
 *
 * @example
 * ```ts
 * import { openUnixConnection, run, startUnixServer } from "@asyncio/asyncio";
 * const path = `${Deno.makeTempDirSync()}/demo.sock`;
 * await run(async () => {
 *   await using _server = await startUnixServer((_reader, writer) => writer.close(), path);
 *   const [reader] = await openUnixConnection(path);
 *   console.log((await reader.read()).length); // 0: the server closed at once
 * });
 * ```
 */
export async function openUnixConnection(
  path?: string | null,
  options: OpenUnixConnectionOptions = {},
): Promise<[StreamReader, StreamWriter]> {
  const loop = getRunningLoop();
  const [limit, rest] = splitLimit(options);
  const reader = new StreamReader(limit, loop);
  const protocol = new StreamReaderProtocol(reader, null, loop);
  const [transport] = await loop.createUnixConnection(() => protocol, path, rest);
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/**
 * `startServer` on the Unix socket at `path`.
 *
 * @example
 * ```ts
 * import { run, startUnixServer } from "@asyncio/asyncio";
 * const path = `${Deno.makeTempDirSync()}/demo.sock`;
 * await run(async () => {
 *   await using server = await startUnixServer((_reader, writer) => writer.close(), path);
 *   console.log(server.sockets[0].getsockname() === path); // true
 * });
 * ```
 */
export async function startUnixServer(
  clientConnectedCb: ClientConnectedCallback,
  path?: string | null,
  options: StartUnixServerOptions = {},
): Promise<Server> {
  checkCallback(clientConnectedCb);
  const loop = getRunningLoop();
  const [limit, rest] = splitLimit(options);
  return await loop.createUnixServer(
    () => new StreamReaderProtocol(new StreamReader(limit, loop), clientConnectedCb, loop),
    path,
    rest,
  );
}
