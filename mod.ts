/**
 * Python's asyncio for Deno: the event loop, Futures and Tasks with real
 * cancellation, the high-level task API, synchronization primitives and
 * queues, with asyncio's names in camelCase and times in seconds.
 *
 * ```ts
 * import * as asyncio from "@asyncio/asyncio";
 *
 * async function main() {
 *   const results = await asyncio.gather(
 *     () => asyncio.sleep(0.01, "one"),
 *     () => asyncio.sleep(0.02, "two"),
 *   );
 *   console.log(results); // ["one", "two"]
 * }
 *
 * await asyncio.run(main);
 * ```
 *
 * @module
 */
export * from "./loop/exceptions.ts";
export * from "./loop/log.ts";
export * from "./loop/handles.ts";
export {
  addAwaitedBy,
  discardAwaitedBy,
  type DoneCallback,
  Future,
  type FutureOptions,
  isFuture,
  type Settle,
} from "./loop/futures.ts";
export {
  allTasks,
  type Awaitable,
  type Coroutine,
  createTask,
  currentTask,
  ensureFuture,
  type EnsureFutureOptions,
  Task,
  type TaskConstructorOptions,
  type TaskOptions,
} from "./loop/tasks.ts";
export * from "./loop/event_loop.ts";
export * from "./loop/events.ts";
export { getRunningLoop } from "./loop/_running.ts";
export * from "./loop/sleep.ts";
export * from "./loop/gather.ts";
export * from "./loop/runners.ts";
export * from "./loop/wait.ts";
export * from "./loop/shield.ts";
export * from "./loop/timeouts.ts";
export * from "./loop/taskgroups.ts";
export * from "./loop/virtual_time.ts";
export * from "./loop/locks.ts";
export * from "./loop/queues.ts";
export * from "./protocols/protocols.ts";
export * from "./protocols/web_streams.ts";
export * from "./transports/transports.ts";
export * from "./transports/constants.ts";
export {
  type Address,
  TransportSocket,
  type TransportSocketResource,
} from "./transports/trsock.ts";
export {
  type AddrInfo,
  getaddrinfo,
  type GetaddrinfoOptions,
  getnameinfo,
} from "./transports/dns.ts";
// server.ts and the modules below also hold the loop methods'
// implementations, which take the loop as their first argument: only the
// public names are re-exported.
export {
  type CreateServerOptions,
  type CreateUnixServerOptions,
  Server,
  type ServerOptions,
  type UnixSocketFile,
} from "./transports/server.ts";
export type {
  ClientTlsOptions,
  ConnectAcceptedSocketOptions,
  CreateConnectionOptions,
  CreateUnixConnectionOptions,
  ProtocolFactory,
  ServerTlsOptions,
} from "./transports/connections.ts";
export * from "./streams/stream_reader.ts";
export * from "./streams/stream_writer.ts";
export * from "./streams/stream_reader_protocol.ts";
export * from "./streams/streams.ts";
export type { DuplexPipe, ReadPipe, WritePipe } from "./transports/pipes.ts";
export type { CreateDatagramEndpointOptions } from "./transports/datagram.ts";
export {
  SO_BROADCAST,
  SO_REUSEADDR,
  SO_REUSEPORT,
  Socket,
  socket,
  socketpair,
  SOL_SOCKET,
} from "./transports/sockets.ts";
export type { SendfileOptions } from "./transports/sendfile.ts";
export {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  type CipherInfo,
  createDefaultContext,
  type DistinguishedName,
  type KeyPassword,
  type PeerCertificate,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  SSLContext,
  SSLObject,
  type StartTlsOptions,
  TLSVersion,
  type VerifyLocations,
} from "./transports/tls.ts";
export type { SubprocessOptions } from "./subprocess/subprocess_transport.ts";
export {
  BrokenExecutor,
  type ExecutorFunction,
  type ModuleFunction,
  ProcessPoolExecutor,
  type ProcessPoolExecutorOptions,
  type SelfContainedFunction,
  type ShutdownOptions,
  ThreadPoolExecutor,
  toThread,
  transfer,
  WorkerPoolExecutor,
  type WorkerPoolExecutorOptions,
} from "./loop/executors.ts";
export * from "./loop/graph.ts";
export * from "./subprocess/subprocess.ts";
