// The TLS layer, as asyncio's sslproto.py: an `SSLProtocol` is the
// protocol of a plain stream transport (the "lower" transport: TCP, a Unix
// socket, or the transport `startTls` upgrades) and runs TLS over its bytes
// with Deno's built-in `node:tls` (a `TLSSocket` over a minimal stream, the
// "wire", that the lower transport feeds, as sslproto runs an `SSLObject`
// over memory BIOs).
// Once the handshake is complete, the application gets the same
// `StreamTransport` as any connection (`SSLTransport`, which only defers
// `connectionLost` until the connection underneath is closed), over a
// `TlsChannel` that reads and writes the TLS socket's plaintext. The
// channel has no `closeWrite`, so `canWriteEof()` is false, as on asyncio's
// SSL transport.
//
// Why not Deno.connectTls/listenTls for `ssl=` (measured on Deno 2.9.6, see
// bench/tls/run.ts, where "library on Deno.listenTls" is that design):
// closing a Deno.TlsConn whose handshake has not finished leaves the TCP
// connection open, so a server on Deno.listenTls cannot drop a client that
// never sends its ClientHello; Deno.TlsConn cannot set TCP_NODELAY, so
// 64 KiB ping-pong stalls on delayed ACKs (~220 round trips/s, 14 MiB/s,
// against ~2,700/s, 170 MiB/s, on this layer); `caCerts` adds to the
// default roots where Python's `cafile` replaces them; it reports neither
// the peer's certificate nor the cipher; and Deno.startTls refuses a
// connection with a read pending (Busy), which a transport always has. The
// price: at 1 KiB this layer costs about 1.6x the CPU per round trip of
// Deno.listenTls. Measured (bench/tls/run.ts, servers "denonode" and
// --extra): almost all of it is node:tls itself, whose TLSSocket streams
// run in JavaScript: Deno's own node:tls server on a native TCP socket
// costs as much at 1 KiB, and node:tls over a bare read/write loop (no
// transports) as much as this layer at both sizes. node:tls can also run
// natively on the lower transport's TCP socket (process.binding("tcp_wrap")
// .TCP's openFromRid()): 64 KiB costs a third less, but its writes then
// complete at once whatever the peer reads (48 MiB to a peer that does not
// read: callback and "finish" at once), so neither pauseWriting() nor a
// close()'s flush and sslShutdownTimeout could be honoured.
//
// Also measured: node:tls hands its encrypted output to the wire without
// waiting for the write callback, and a paused TLSSocket keeps taking
// ciphertext; so both directions' flow control is done here, against the
// lower transport's pauseWriting()/pauseReading().
import type * as NodeTls from "node:tls";
import type * as NodeEvents from "node:events";
import type * as NodeNet from "node:net";
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import type { TimerHandle } from "../loop/handles.ts";
import { logger } from "../loop/log.ts";
import { BaseProtocol, type BufferedProtocol, Protocol } from "../protocols/protocols.ts";
import { NotImplementedError } from "../loop/exceptions.ts";
import type { Transport } from "./transports.ts";
import {
  type ByteChannel,
  StreamTransport,
  type StreamTransportOptions,
} from "./_stream_transport.ts";
import { isOSError } from "./_errors.ts";
import { CERT_NONE, createDefaultContext, SSLContext } from "./_tls_context.ts";
import { SSLObject } from "./_tls_object.ts";

// ---- node:tls, loaded on first use (importing it costs ~30 ms) -------------------

let nodeTls: typeof NodeTls | null = null;
let EventEmitterClass: typeof NodeEvents.EventEmitter | null = null;
let loading: Promise<void> | null = null;

/** Loads `node:tls`; the TLS entry points await it before their first connection. */
export function loadTls(): Promise<void> {
  if (nodeTls !== null) return Promise.resolve();
  loading ??= Promise.all([import("node:tls"), import("node:events")]).then(
    ([tlsModule, eventsModule]) => {
      nodeTls = tlsModule.default ?? tlsModule;
      EventEmitterClass = eventsModule.EventEmitter;
    },
  );
  return loading;
}

// ---- options -----------------------------------------------------------------------

/** asyncio's SSL_HANDSHAKE_TIMEOUT and SSL_SHUTDOWN_TIMEOUT, in seconds. */
export const SSL_HANDSHAKE_TIMEOUT = 60;
export const SSL_SHUTDOWN_TIMEOUT = 30;

/** What one TLS connection is made with. */
export interface TlsSettings {
  context: SSLContext;
  serverSide: boolean;
  /** The name to send (SNI) and check; `null` for none. */
  serverHostname: string | null;
  /** Seconds. */
  handshakeTimeout: number;
  /** Seconds. */
  shutdownTimeout: number;
}

/** The TLS keyword arguments of the connection methods. */
export interface TlsRequest {
  ssl?: SSLContext | boolean | null;
  serverHostname?: string | null;
  sslHandshakeTimeout?: number | null;
  sslShutdownTimeout?: number | null;
}

function checkTimeout(value: number | null | undefined, name: string, byDefault: number): number {
  if (value === undefined || value === null) return byDefault;
  if (typeof value !== "number" || !(value > 0)) {
    throw new RangeError(`${name} should be a positive number, got ${value}`);
  }
  return value;
}

function rejectTimeoutsWithoutSsl(request: TlsRequest): void {
  for (const name of ["sslHandshakeTimeout", "sslShutdownTimeout"] as const) {
    if (request[name] !== undefined && request[name] !== null) {
      throw new RangeError(`${name} is only meaningful with ssl`);
    }
  }
}

/**
 * The client side's settings from `ssl`, `serverHostname` and the
 * timeouts, or `null` without `ssl`; throws what asyncio raises for a bad
 * combination (Python's ValueError is RangeError).
 */
export function clientTlsSettings(
  request: TlsRequest,
  host: string | null | undefined,
): TlsSettings | null {
  const ssl = request.ssl ?? null;
  if (ssl === null || ssl === false) {
    if (request.serverHostname !== undefined && request.serverHostname !== null) {
      throw new RangeError("serverHostname is only meaningful with ssl");
    }
    rejectTimeoutsWithoutSsl(request);
    return null;
  }
  if (ssl !== true && !(ssl instanceof SSLContext)) {
    throw new TypeError("ssl must be an SSLContext, true, or null");
  }
  let serverHostname = request.serverHostname ?? null;
  if (serverHostname === null) {
    if (!host) {
      throw new RangeError("You must set serverHostname when using ssl without a host");
    }
    serverHostname = host;
  }
  if (typeof serverHostname !== "string") throw new TypeError("serverHostname must be a string");
  let context: SSLContext;
  if (ssl === true) {
    context = createDefaultContext();
    if (!serverHostname) context.checkHostname = false;
  } else {
    context = ssl;
  }
  context._checkSide(false);
  if (context.checkHostname && !serverHostname) {
    throw new RangeError("checkHostname requires serverHostname");
  }
  return {
    context,
    serverSide: false,
    serverHostname: serverHostname || null,
    handshakeTimeout: checkTimeout(
      request.sslHandshakeTimeout,
      "sslHandshakeTimeout",
      SSL_HANDSHAKE_TIMEOUT,
    ),
    shutdownTimeout: checkTimeout(
      request.sslShutdownTimeout,
      "sslShutdownTimeout",
      SSL_SHUTDOWN_TIMEOUT,
    ),
  };
}

/** The server side's settings, or `null` without `ssl`. */
export function serverTlsSettings(request: Omit<TlsRequest, "serverHostname">): TlsSettings | null {
  const ssl = request.ssl ?? null;
  if (ssl === null || ssl === false) {
    rejectTimeoutsWithoutSsl(request);
    return null;
  }
  if (!(ssl instanceof SSLContext)) {
    throw new TypeError(
      "ssl argument must be an SSLContext or null (a server needs a certificate)",
    );
  }
  ssl._checkSide(true);
  return {
    context: ssl,
    serverSide: true,
    serverHostname: null,
    handshakeTimeout: checkTimeout(
      request.sslHandshakeTimeout,
      "sslHandshakeTimeout",
      SSL_HANDSHAKE_TIMEOUT,
    ),
    shutdownTimeout: checkTimeout(
      request.sslShutdownTimeout,
      "sslShutdownTimeout",
      SSL_SHUTDOWN_TIMEOUT,
    ),
  };
}

/** Whether `host` is an IP address (SNI takes names only); node:net costs 15 ms to load. */
function isIP(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

// ---- errors --------------------------------------------------------------------------

/**
 * An error of `node:tls` as one of Deno's: a certificate or protocol
 * failure is `Deno.errors.InvalidData` (what Deno.connectTls throws for a
 * bad certificate; Python's `ssl.SSLError`), with node's `code` kept.
 */
function tlsError(error: unknown, what: string): Error {
  if (isOSError(error)) return error as Error;
  const e = error as { message?: string; code?: string } | null;
  const code = typeof e?.code === "string" ? e.code : undefined;
  const message = `${what}: ${e?.message ?? String(error)}`;
  let out: Error;
  if (code === "ECONNRESET") out = new Deno.errors.ConnectionReset(message, { cause: error });
  else if (
    code === "EPIPE" || code === "ERR_STREAM_DESTROYED" || code === "ERR_STREAM_WRITE_AFTER_END"
  ) {
    out = new Deno.errors.BrokenPipe(message, { cause: error });
  } else out = new Deno.errors.InvalidData(message, { cause: error });
  if (code !== undefined) (out as Error & { code?: string }).code = code;
  return out;
}

// ---- server contexts, made once per SSLContext settings ----------------------------

const secureContexts = new WeakMap<
  SSLContext,
  { version: number; secureContext: NodeTls.SecureContext }
>();

function serverSecureContext(context: SSLContext): NodeTls.SecureContext {
  const cached = secureContexts.get(context);
  if (cached !== undefined && cached.version === context._version) return cached.secureContext;
  const { cert, key, minVersion, maxVersion } = context._settings([]);
  const secureContext = nodeTls!.createSecureContext({ cert, key, minVersion, maxVersion });
  secureContexts.set(context, { version: context._version, secureContext });
  return secureContext;
}

// ---- the plaintext channel -----------------------------------------------------------

// The channel stops the TLS socket when this much plaintext waits unread
// (the application paused reading), and starts it again when it is read.
const READ_HIGH_WATER = 256 * 1024;

interface PendingRead {
  /** `null` for `readOwned()`, which resolves to the chunk itself. */
  buffer: Uint8Array | null;
  resolve: (result: number | Uint8Array | null) => void;
  reject: (error: Error) => void;
}

// A chunk node:tls emitted, as a plain Uint8Array (a Buffer's `slice` and
// `toString` differ). Measured on Deno 2.9.6: each has an ArrayBuffer of
// its own, never written again.
function plain(chunk: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(chunk) === Uint8Array.prototype
    ? chunk
    : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
}

/** The TLS socket's plaintext as a `ByteChannel`, with no `closeWrite`. */
class TlsChannel implements ByteChannel {
  #owner: SSLProtocol;
  #socket: NodeTls.TLSSocket | null = null;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #pending: PendingRead | null = null;
  #eof = false;
  #eofDelivered = false;
  #error: Error | null = null;
  #closed = false;
  #socketPaused = false;
  // The writes in flight, to fail when the connection does.
  #inflight = new Set<(error: Error) => void>();
  /** The application's transport, once made. */
  transport: SSLTransport | null = null;
  /** A write resolves once node:tls has encrypted it: the transport may reuse the bytes. */
  readonly releasesWrites = true;

  constructor(owner: SSLProtocol) {
    this.#owner = owner;
  }

  attach(socket: NodeTls.TLSSocket): void {
    this.#socket = socket;
  }

  /** Plaintext from the TLS socket. */
  push(chunk: Uint8Array): void {
    if (this.#closed || this.#eof || chunk.length === 0) return;
    const pending = this.#pending;
    if (pending !== null && this.#queued === 0) {
      this.#pending = null;
      const buffer = pending.buffer;
      if (buffer === null) {
        pending.resolve(plain(chunk));
        return;
      }
      const n = Math.min(chunk.length, buffer.length);
      buffer.set(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (n < chunk.length) this.#queue(chunk.subarray(n));
      pending.resolve(n);
      return;
    }
    this.#queue(chunk);
  }

  #queue(chunk: Uint8Array): void {
    // Kept as is (see plain()).
    this.#chunks.push(chunk);
    this.#queued += chunk.length;
    if (this.#queued > READ_HIGH_WATER && !this.#socketPaused) {
      this.#socketPaused = true;
      this.#socket?.pause();
      // Measured on Deno 2.9.6: a paused TLSSocket over a JS stream still takes
      // (and buffers) all the ciphertext it is given; stop the lower
      // transport as well.
      this.#owner.appReading(false);
    }
  }

  /** The peer ended its side (close_notify, or the connection's EOF). */
  end(): void {
    if (this.#eof || this.#closed) return;
    this.#eof = true;
    if (this.#pending !== null && this.#queued === 0) {
      const pending = this.#pending;
      this.#pending = null;
      this.#deliverEof();
      pending.resolve(null);
    }
  }

  /** The connection failed: the application's transport closes with `error`. */
  fail(error: Error): void {
    if (this.#closed || this.#error !== null) return;
    this.#error = error;
    const writes = [...this.#inflight];
    for (const fail of writes) fail(error);
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      pending.reject(error);
    } else if (writes.length === 0) {
      // Nothing in flight would tell the transport (its reading is paused).
      this.transport?._lost(error);
    }
  }

  /** The lower transport is gone (`error` null: closed or aborted without one). */
  lowerLost(error: Error | null): void {
    if (this.#closed) return;
    if (error !== null) {
      this.fail(error);
      return;
    }
    const transport = this.transport;
    if (transport !== null && !transport.isClosing()) transport._lost(null);
    const pending = this.#pending;
    this.#pending = null;
    pending?.resolve(null);
  }

  // asyncio: an SSL transport closes after EOF, whatever eofReceived() says.
  #deliverEof(): void {
    if (this.#eofDelivered) return;
    this.#eofDelivered = true;
    const transport = this.transport;
    if (transport === null) return;
    const loop = this.#owner.loop;
    if (loop.isClosed()) return;
    loop.callSoon(() => {
      if (transport.isClosing()) return;
      logger.warning("returning true from eofReceived() has no effect when using ssl");
      transport.close();
    });
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#queued > 0) {
      let n = 0;
      while (n < buffer.length && this.#chunks.length > 0) {
        const head = this.#chunks[0];
        const take = Math.min(head.length, buffer.length - n);
        buffer.set(take === head.length ? head : head.subarray(0, take), n);
        n += take;
        if (take === head.length) this.#chunks.shift();
        else this.#chunks[0] = head.subarray(take);
      }
      this.#queued -= n;
      this.#maybeResumeSocket();
      return Promise.resolve(n);
    }
    return this.#wait(buffer) as Promise<number | null>;
  }

  /** The next plaintext chunk, uncopied (the transport's `readOwned`). */
  readOwned(): Promise<Uint8Array | null> {
    if (this.#queued > 0) {
      const chunk = this.#chunks.shift()!;
      this.#queued -= chunk.length;
      this.#maybeResumeSocket();
      return Promise.resolve(plain(chunk));
    }
    return this.#wait(null) as Promise<Uint8Array | null>;
  }

  #wait(buffer: Uint8Array | null): Promise<number | Uint8Array | null> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#eof || this.#closed) {
      if (this.#eof) this.#deliverEof();
      return Promise.resolve(null);
    }
    return new Promise((resolve, reject) => {
      this.#pending = { buffer, resolve, reject };
    });
  }

  #maybeResumeSocket(): void {
    if (this.#socketPaused && this.#queued <= READ_HIGH_WATER / 4) {
      this.#socketPaused = false;
      this.#owner.appReading(true);
      this.#socket?.resume();
    }
  }

  write(data: Uint8Array): Promise<number> {
    if (this.#error !== null) return Promise.reject(this.#error);
    const socket = this.#socket;
    if (this.#closed || socket === null || socket.destroyed) {
      return Promise.reject(new Deno.errors.BrokenPipe("the TLS connection is closed"));
    }
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        this.#inflight.delete(fail);
        reject(error);
      };
      this.#inflight.add(fail);
      socket.write(data, (error?: Error | null) => {
        if (!this.#inflight.has(fail)) return; // failed already
        if (error) {
          this.#inflight.delete(fail);
          reject(this.#error ?? tlsError(error, "TLS write failed"));
          return;
        }
        // Encrypted and handed to the lower transport: done once it drains.
        const writable = this.#owner.whenWritable();
        if (writable === null) {
          this.#inflight.delete(fail);
          resolve(data.length);
        } else {
          writable.then(() => {
            if (this.#inflight.delete(fail)) resolve(data.length);
          });
        }
      });
    });
  }

  /** The application's transport is done with the channel (the shutdown runs elsewhere). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#queued = 0;
    const pending = this.#pending;
    this.#pending = null;
    pending?.resolve(null);
  }
}

// ---- the application's transport -----------------------------------------------------------

function isBufferedProtocol(protocol: BaseProtocol): protocol is BufferedProtocol {
  return typeof (protocol as BufferedProtocol).getBuffer === "function" &&
    typeof (protocol as BufferedProtocol).bufferUpdated === "function";
}

/**
 * What the stream transport calls: it forwards every callback to the
 * application's protocol, except that `connectionLost` waits until the TLS
 * shutdown has closed the connection underneath, as in asyncio (and that
 * `startTls` does not call `connectionMade` again).
 */
class AppProtocolShim extends BaseProtocol {
  target: BaseProtocol;
  readonly owner: SSLProtocol;
  #callConnectionMade: boolean;
  /** Set by the transport's `abort()`. */
  aborted = false;

  constructor(owner: SSLProtocol, target: BaseProtocol, callConnectionMade: boolean) {
    super();
    this.owner = owner;
    this.target = target;
    this.#callConnectionMade = callConnectionMade;
  }

  // The stream transport asks for a buffer only of a BufferedProtocol.
  get getBuffer(): ((sizeHint: number) => Uint8Array) | undefined {
    return isBufferedProtocol(this.target) ? this.#getBuffer : undefined;
  }

  get bufferUpdated(): ((nbytes: number) => void) | undefined {
    return isBufferedProtocol(this.target) ? this.#bufferUpdated : undefined;
  }

  #getBuffer = (sizeHint: number): Uint8Array =>
    (this.target as BufferedProtocol).getBuffer(sizeHint);
  #bufferUpdated = (nbytes: number): void =>
    (this.target as BufferedProtocol).bufferUpdated(nbytes);

  override connectionMade(transport: Transport): void {
    if (this.#callConnectionMade) this.target.connectionMade(transport);
  }

  dataReceived(data: Uint8Array): void {
    (this.target as Protocol).dataReceived(data);
  }

  eofReceived(): boolean | void {
    return (this.target as Protocol).eofReceived?.();
  }

  override pauseWriting(): void {
    this.target.pauseWriting();
  }

  override resumeWriting(): void {
    this.target.resumeWriting();
  }

  override connectionLost(exc: Error | null): void {
    const target = this.target;
    this.owner.appLost(exc, this.aborted, (error) => target.connectionLost(error ?? exc));
  }
}

/**
 * The application's side of a TLS connection: the stream transport over
 * the TLS channel. It adds only what asyncio's SSL transport does
 * differently: `close()` is bounded by `sslShutdownTimeout`,
 * `connectionLost` comes once the connection underneath is closed,
 * `abort()` skips the TLS shutdown, and `writeEof()` is not supported
 * (`canWriteEof()` is false: the channel cannot half-close).
 */
export class SSLTransport extends StreamTransport {
  #shim: AppProtocolShim;

  constructor(
    loop: EventLoop,
    channel: TlsChannel,
    shim: AppProtocolShim,
    options: StreamTransportOptions,
  ) {
    super(loop, channel, shim, options);
    this.#shim = shim;
  }

  override getProtocol(): BaseProtocol {
    return this.#shim.target;
  }

  override setProtocol(protocol: BaseProtocol): void {
    this.#shim.target = protocol;
  }

  /** As asyncio: `sslShutdownTimeout` bounds the whole close, the flush included. */
  override close(): void {
    if (!this.isClosing()) this.#shim.owner.closeRequested();
    super.close();
  }

  override abort(): void {
    this.#shim.aborted = true;
    super.abort();
  }

  override writeEof(): void {
    throw new NotImplementedError("SSL doesn't support half-closes: writeEof() is not available");
  }

  /**
   * @internal The connection underneath is gone and no read in flight can
   * tell: the transport ends without an error (a paused reader loses it).
   */
  _lost(_error: Error | null): void {
    if (this.isClosing()) return;
    this.abort();
  }
}

// ---- the wire: what node:tls reads ciphertext from and writes it to -------------------

/** What the wire tells the protocol. */
interface WireOwner {
  wireWrite(chunk: Uint8Array): void;
  wirePaused(paused: boolean): void;
}

/**
 * The ciphertext stream node:tls runs over: only what its JSStreamSocket
 * uses of a Duplex (`data`, `end` and `close` events, `pause`, `resume`,
 * `write`, `end`, `destroy`). Measured on Deno 2.9.6, a `Duplex` there
 * cost a Readable and a Writable pass (and a nextTick) per chunk each way.
 */
function makeWire(owner: WireOwner): NodeEvents.EventEmitter & WireMethods {
  const wire = new EventEmitterClass!() as NodeEvents.EventEmitter & WireMethods;
  let paused = true;
  let ended = false;
  let destroyed = false;
  let queued: Uint8Array[] = [];
  let eofQueued = false;
  Object.assign(wire, {
    readable: true,
    writable: true,
    allowHalfOpen: true,
    readableObjectMode: false,
    get destroyed() {
      return destroyed;
    },
    pause() {
      if (paused) return wire;
      paused = true;
      owner.wirePaused(true);
      return wire;
    },
    resume() {
      if (!paused || destroyed) return wire;
      paused = false;
      while (queued.length > 0 && !paused && !destroyed) wire.emit("data", queued.shift()!);
      if (queued.length === 0 && eofQueued && !paused) {
        eofQueued = false;
        wire.emit("end");
      }
      if (!paused) owner.wirePaused(false);
      return wire;
    },
    feed(chunk: Uint8Array): void {
      if (destroyed || ended) return;
      if (paused) queued.push(chunk.slice());
      else wire.emit("data", chunk);
    },
    feedEof(): void {
      if (destroyed || ended) return;
      ended = true;
      if (paused || queued.length > 0) eofQueued = true;
      else wire.emit("end");
    },
    isQueueing(): boolean {
      return paused;
    },
    write(chunk: Uint8Array, encoding?: unknown, callback?: (error?: Error | null) => void) {
      const cb = typeof encoding === "function" ? encoding : callback;
      if (!destroyed) owner.wireWrite(chunk);
      if (typeof cb === "function") cb(null);
      return true;
    },
    cork() {},
    uncork() {},
    setNoDelay() {},
    end(callback?: () => void) {
      if (typeof callback === "function") queueMicrotask(callback);
      return wire;
    },
    destroy() {
      if (destroyed) return wire;
      destroyed = true;
      queued = [];
      queueMicrotask(() => wire.emit("close"));
      return wire;
    },
  });
  return wire;
}

interface WireMethods {
  feed(chunk: Uint8Array): void;
  feedEof(): void;
  /** Paused by the TLS socket: what is fed now is copied and kept. */
  isQueueing(): boolean;
  destroy(): void;
}

// ---- the protocol of the lower transport ----------------------------------------------

// What the lower transport reads into (a TLS record is at most 16 KiB + 5).
const READ_BUFFER_SIZE = 64 * 1024;

type State = "init" | "handshake" | "wrapped" | "shutdown" | "closed";

/** How `SSLProtocol` reports the end of its handshake. */
export interface SSLProtocolOptions {
  /** Set once the application's `connectionMade` ran; rejected if the handshake fails. */
  waiter?: Future<void> | null;
  /** `false` for `startTls`: the protocol is already connected. */
  callConnectionMade?: boolean;
}

/** The protocol that runs TLS over a lower transport. */
export class SSLProtocol extends Protocol {
  readonly loop: EventLoop;
  #settings: TlsSettings;
  #appProtocol: BaseProtocol;
  #callConnectionMade: boolean;
  #waiter: Future<void> | null;
  #lower: Transport | null = null;
  #wire: (NodeEvents.EventEmitter & WireMethods) | null = null;
  #socket: NodeTls.TLSSocket | null = null;
  #state: State = "init";
  #timer: TimerHandle | null = null;
  #channel: TlsChannel;
  #app: SSLTransport | null = null;
  // The application's connectionLost, once the lower transport is gone.
  #deliverLost: ((error: Error | null) => void) | null = null;
  // Why the shutdown failed (its timeout), for the application's connectionLost.
  #shutdownError: Error | null = null;
  // The lower transport's buffer is above its high-water mark: the
  // application's writes wait (node:tls hands its output on at once, without
  // waiting for the wire, so the flow control is here).
  #writePaused = false;
  #writeWaiters: (() => void)[] = [];
  // The TLS socket does not take more ciphertext: the lower transport is paused.
  #wireFull = false;
  // The application's plaintext waits unread: the lower transport is paused.
  #appPaused = false;
  #lowerReading = true;
  #readBuffer: Uint8Array | null = null;
  #early: Uint8Array[] | null = null;

  constructor(
    loop: EventLoop,
    appProtocol: BaseProtocol,
    settings: TlsSettings,
    options: SSLProtocolOptions = {},
  ) {
    super();
    this.loop = loop;
    this.#appProtocol = appProtocol;
    this.#settings = settings;
    this.#callConnectionMade = options.callConnectionMade ?? true;
    this.#waiter = options.waiter ?? null;
    this.#channel = new TlsChannel(this);
  }

  /** The application's transport, once the handshake is complete. */
  get appTransport(): SSLTransport | null {
    return this.#app;
  }

  override toString(): string {
    return `<SSLProtocol ${this.#settings.serverSide ? "server" : "client"} ${this.#state}>`;
  }

  override connectionMade(transport: Transport): void {
    this.#lower = transport;
    this.#state = "handshake";
    this.#timer = this.loop.callLater(this.#settings.handshakeTimeout, this.#handshakeTimedOut);
    if (nodeTls !== null) this.#start();
    else {
      loadTls().then(
        () => this.#state === "handshake" && !this.loop.isClosed() && this.#start(),
        (error) => this.#fail(error),
      );
    }
  }

  #start(): void {
    try {
      this.#startTls();
    } catch (error) {
      this.#fail(error);
    }
  }

  #startTls(): void {
    const tls = nodeTls!;
    const { context, serverSide, serverHostname } = this.#settings;
    const wire = makeWire(this.#wireOwner);
    this.#wire = wire;
    const settings = context._settings(tls.rootCertificates);
    let socket: NodeTls.TLSSocket;
    if (serverSide) {
      socket = new tls.TLSSocket(wire as unknown as NodeNet.Socket, {
        isServer: true,
        secureContext: serverSecureContext(context),
        ALPNProtocols: settings.ALPNProtocols,
      });
      socket.once("secure", () => this.#handshakeDone(true));
    } else {
      const host = serverHostname;
      const verify = context.verifyMode !== CERT_NONE;
      const options: NodeTls.ConnectionOptions = {
        socket: wire as unknown as NodeTls.ConnectionOptions["socket"],
        ...settings,
        rejectUnauthorized: verify,
      };
      if (host !== null) {
        options.host = host;
        if (!isIP(host)) options.servername = host;
      }
      if (!context.checkHostname || host === null) options.checkServerIdentity = () => undefined;
      socket = tls.connect(options);
      socket.once("secureConnect", () => this.#handshakeDone(verify && socket.authorized));
    }
    this.#socket = socket;
    this.#channel.attach(socket);
    socket.on("data", (chunk: Uint8Array) => this.#channel.push(chunk));
    socket.on("end", () => this.#channel.end());
    socket.on("error", (error: Error) => this.#tlsFailed(error));
    const early = this.#early;
    this.#early = null;
    for (const chunk of early ?? []) this.dataReceived(chunk);
  }

  // ---- the wire: ciphertext to and from the lower transport -------------------------

  #wireOwner: WireOwner = {
    wireWrite: (chunk) => {
      const lower = this.#lower;
      if (lower === null || lower.isClosing() || this.#state === "closed" || this.loop.isClosed()) {
        return;
      }
      // node:tls hands over each ciphertext chunk fresh (drainEncOut()).
      if (lower instanceof StreamTransport) lower._writeOwned(chunk);
      else lower.write(chunk);
    },
    // The TLS socket stopped (or started again) reading its ciphertext.
    wirePaused: (paused) => {
      if (this.#wireFull === paused) return;
      this.#wireFull = paused;
      this.#updateReading();
    },
  };

  /** @internal The channel's plaintext queue is full (`false`) or drained (`true`). */
  appReading(on: boolean): void {
    this.#appPaused = !on;
    this.#updateReading();
  }

  #updateReading(): void {
    const reading = !this.#wireFull && !this.#appPaused;
    const lower = this.#lower;
    if (reading === this.#lowerReading || lower === null) return;
    this.#lowerReading = reading;
    if (reading) lower.resumeReading();
    else lower.pauseReading();
  }

  override dataReceived(data: Uint8Array): void {
    const wire = this.#wire;
    if (this.#state === "closed") return;
    if (wire === null) {
      // node:tls is still loading: keep the bytes for the TLS socket.
      (this.#early ??= []).push(data.slice());
      return;
    }
    wire.feed(data);
  }

  /**
   * @internal For a lower transport made for TLS (not `startTls`, whose
   * transport has a read in flight for the old protocol): reads land in
   * one buffer, reused while the TLS layer takes each chunk at once.
   */
  _getBuffer(): Uint8Array {
    return this.#readBuffer ??= new Uint8Array(READ_BUFFER_SIZE);
  }

  /** @internal */
  _bufferUpdated(nbytes: number): void {
    const buffer = this.#readBuffer!;
    // The wire passes the bytes to the TLS socket at once, or keeps a copy.
    this.dataReceived(buffer.subarray(0, nbytes));
  }

  override eofReceived(): boolean {
    if (this.#state === "handshake") {
      this.#fail(new Deno.errors.ConnectionReset("Connection lost during the SSL handshake"));
      return false;
    }
    if (this.#state === "wrapped") {
      this.#wire?.feedEof();
      return true; // the TLS shutdown closes the lower transport
    }
    return false;
  }

  override pauseWriting(): void {
    this.#writePaused = true;
  }

  override resumeWriting(): void {
    this.#writePaused = false;
    this.#wakeWriters();
  }

  #wakeWriters(): void {
    const waiters = this.#writeWaiters;
    this.#writeWaiters = [];
    for (const wake of waiters) wake();
  }

  /** `null` when the lower transport takes more; else resolves when it does (or is gone). */
  whenWritable(): Promise<void> | null {
    if (!this.#writePaused || this.#lower === null) return null;
    return new Promise((resolve) => this.#writeWaiters.push(resolve));
  }

  override connectionLost(exc: Error | null): void {
    const state = this.#state;
    this.#state = "closed";
    this.#cancelTimer();
    this.#lower = null;
    this.#wakeWriters();
    this.#socket?.destroy();
    if (state === "handshake" || state === "init") {
      this.#handshakeFailed(
        exc ?? new Deno.errors.ConnectionReset("Connection lost during the SSL handshake"),
      );
    } else {
      this.#channel.lowerLost(exc);
    }
    const deliver = this.#deliverLost;
    this.#deliverLost = null;
    deliver?.(this.#shutdownError);
  }

  // ---- handshake ---------------------------------------------------------------------

  #handshakeTimedOut = (): void => {
    this.#timer = null;
    if (this.#state !== "handshake") return;
    this.#fail(
      new Deno.errors.ConnectionAborted(
        `SSL handshake is taking longer than ${this.#settings.handshakeTimeout} seconds: ` +
          "aborting the connection",
      ),
    );
  };

  #handshakeDone(verified: boolean): void {
    if (this.#state !== "handshake" || this.loop.isClosed()) return;
    this.#cancelTimer();
    const lower = this.#lower!;
    const socket = this.#socket!;
    const { context, serverSide, serverHostname } = this.#settings;
    let sslObject: SSLObject;
    try {
      sslObject = new SSLObject(context, serverSide, serverHostname, socket, verified);
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#state = "wrapped";
    const extra: Record<string, unknown> = {
      ...lower._extra,
      sslcontext: context,
      ssl_object: sslObject,
      peercert: sslObject.getpeercert(),
      cipher: sslObject.cipher(),
      compression: null,
    };
    const shim = new AppProtocolShim(this, this.#appProtocol, this.#callConnectionMade);
    const transport = new SSLTransport(this.loop, this.#channel, shim, {
      extra,
      waiter: this.#waiter,
    });
    this.#app = transport;
    this.#channel.transport = transport;
  }

  #handshakeFailed(error: Error): void {
    const waiter = this.#waiter;
    if (waiter !== null && !waiter.done()) waiter.setException(error);
    if (isOSError(error)) {
      if (this.loop.getDebug()) logger.debug(`${this}: SSL handshake failed: ${error}`);
    } else {
      this.loop.callExceptionHandler({
        message: "SSL handshake failed",
        exception: error,
        protocol: this,
      });
    }
  }

  #tlsFailed(error: Error): void {
    if (this.#state === "closed" || this.loop.isClosed()) return;
    if (this.#state === "handshake") {
      this.#fail(tlsError(error, "SSL handshake failed"));
    } else {
      this.#fail(tlsError(error, "TLS error"));
    }
  }

  /** Ends the connection with `error`: aborts the lower transport. */
  #fail(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const state = this.#state;
    if (state === "closed") return;
    this.#state = "closed";
    this.#cancelTimer();
    this.#socket?.destroy();
    this.#abortLower();
    if (state === "handshake" || state === "init") this.#handshakeFailed(err);
    else this.#channel.fail(err);
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  #abortLower(): void {
    const lower = this.#lower;
    if (lower === null) return;
    if (this.loop.isClosed()) {
      // Nothing can run on a closed loop: close the connection itself.
      const socket = lower.getExtraInfo<{ close(): void }>("socket");
      try {
        socket?.close();
      } catch {
        // Closed already.
      }
      return;
    }
    if (!lower.isClosing()) lower.abort();
  }

  // ---- shutdown ----------------------------------------------------------------------

  /** The application called `close()`: the shutdown's clock starts now. */
  closeRequested(): void {
    if (this.#state !== "wrapped" || this.#timer !== null) return;
    this.#timer = this.loop.callLater(this.#settings.shutdownTimeout, this.#shutdownTimedOut);
  }

  // asyncio: TimeoutError("SSL shutdown timed out"), an OSError; Deno's is TimedOut.
  #shutdownTimedOut = (): void => {
    this.#timer = null;
    if (this.#lower === null) return;
    const error = new Deno.errors.TimedOut(
      `SSL shutdown timed out (sslShutdownTimeout ${this.#settings.shutdownTimeout} s)`,
    );
    this.#state = "closed";
    this.#shutdownError = error;
    this.#channel.fail(error);
    this.#socket?.destroy();
    this.#abortLower();
  };

  /**
   * The application's transport is done: `deliver` (its protocol's
   * `connectionLost`) runs once the lower transport is gone. A clean close
   * sends close_notify and closes the lower transport (aborting it after
   * `sslShutdownTimeout`); an abort, or an error, aborts it at once.
   */
  appLost(exc: Error | null, aborted: boolean, deliver: (error: Error | null) => void): void {
    if (this.#lower === null) {
      deliver(this.#shutdownError);
      return;
    }
    this.#deliverLost = deliver;
    if (this.#state !== "wrapped" || exc !== null || aborted) {
      this.#state = "closed";
      this.#socket?.destroy();
      this.#abortLower();
      return;
    }
    this.#state = "shutdown";
    const socket = this.#socket!;
    this.#timer ??= this.loop.callLater(this.#settings.shutdownTimeout, this.#shutdownTimedOut);
    const closeLower = () => {
      const lower = this.#lower;
      if (lower === null || lower.isClosing()) return;
      if (this.loop.isClosed()) this.#abortLower();
      else lower.close();
    };
    if (socket.destroyed || socket.writableFinished) closeLower();
    else {
      socket.once("finish", closeLower);
      socket.once("close", closeLower);
      socket.end();
    }
  }
}

/**
 * The TLS protocol as a `BufferedProtocol`, for a lower transport made for
 * TLS: the stream transport reads into the protocol's buffer, which saves a
 * copy (and its garbage) per read.
 */
export class BufferedSSLProtocol extends SSLProtocol {
  getBuffer(_sizeHint: number): Uint8Array {
    return this._getBuffer();
  }

  bufferUpdated(nbytes: number): void {
    this._bufferUpdated(nbytes);
  }
}
