// Datagram I/O shared by the datagram transport and the `Socket` class: one
// place that opens Deno's datagram sockets (which need --unstable-net) and
// serialises what Deno cannot do concurrently.
//
// Measured on Deno 2.9.6:
// - Sends issued concurrently on one DatagramConn reach the peer in reverse
//   order, and two concurrent receives complete out of order; so sends go one
//   at a time, in order, and a channel has one receive outstanding at most.
// - A Unix datagram socket ("unixpacket") throws Busy on a send while a
//   receive is pending (UDP does not). A channel keeps sends for later and
//   wakes the pending receive with a datagram to itself from an unbound helper
//   socket, as asyncio's selector loop wakes itself through its self-pipe; the
//   receive drops that datagram, the sends go out, and the receive resumes.
import { closeQuietly } from "./_ops.ts";
import { netAccess, unixAccess } from "../loop/_permissions.ts";

/** A datagram and where it came from. */
export type Received = [Uint8Array, Deno.Addr];

/**
 * The message of the error thrown when Deno runs without --unstable-net: a
 * `NotCapable`, as for a missing permission, since a flag is what is missing.
 */
export const UNSTABLE_NET_MESSAGE =
  "datagram sockets need Deno.listenDatagram, which exists only with Deno's --unstable-net " +
  'flag: run again with --unstable-net (deno run --unstable-net ...) or add "unstable": ["net"] ' +
  "to deno.json";

/** Deno's `listenDatagram`, or a clear error when the flag is missing. */
export function listenDatagram(
  options:
    | (Deno.UdpListenOptions & { transport: "udp" })
    | (Deno.UnixListenDatagramOptions & { transport: "unixpacket" }),
): Deno.DatagramConn {
  const listen = (Deno as { listenDatagram?: typeof Deno.listenDatagram }).listenDatagram;
  if (typeof listen !== "function") throw new Deno.errors.NotCapable(UNSTABLE_NET_MESSAGE);
  try {
    return listen(options as Deno.UdpListenOptions & { transport: "udp" });
  } catch (error) {
    if (options.transport === "udp") {
      throw netAccess(error, options.hostname ?? "0.0.0.0", options.port);
    }
    throw options.path === undefined ? error : unixAccess(error, options.path);
  }
}

interface Send {
  data: Uint8Array;
  addr: Deno.Addr;
  more: boolean;
  resolve: (n: number) => void;
  reject: (error: unknown) => void;
}

/** Whether `addr` is an unbound Unix datagram address (no path). */
function unnamed(addr: Deno.Addr): boolean {
  return addr.transport === "unixpacket" && !(addr as Deno.UnixAddr).path;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// The largest Unix datagram a receive takes whole (asyncio's max_size).
const UNIX_MAX_SIZE = 256 * 1024;
// Datagrams a Unix channel keeps for its reader before it stops draining.
const INBOX_LIMIT = 256;
const never = new Promise<never>(() => {});

/**
 * A `Deno.DatagramConn` with ordered sends and, on Unix datagram sockets,
 * sends that do not wait for a receive.
 *
 * On a Unix socket a send can also block (the peer's queue holds
 * `net.unix.max_dgram_qlen` datagrams, 10 by default), and no receive can
 * run meanwhile: two endpoints that flood each other would both block. So
 * between two queued sends the channel drains its own queue into an inbox
 * (it sends itself a wake-up datagram and receives until that one comes
 * back), which lets the peer's blocked send complete.
 */
export class DatagramChannel {
  /** The Deno socket. */
  readonly conn: Deno.DatagramConn;
  /** Whether it is a Unix datagram socket. */
  readonly unix: boolean;
  #queue: (Send | undefined)[] = [];
  #head = 0;
  #sending = false;
  #closed = false;
  // Unix only.
  #receiveOp: Promise<void> | null = null;
  #receiveBuffer: Uint8Array | null = null;
  #receiveError: { error: unknown } | null = null;
  #inbox: Received[] = [];
  #afterSends: (() => void) | null = null;
  #waker: Deno.DatagramConn | null = null;
  #wakerTail: Promise<unknown> = Promise.resolve();
  #tokensInFlight = 0;
  #tokensReceived = 0;
  #token: Uint8Array | null = null;

  constructor(conn: Deno.DatagramConn) {
    this.conn = conn;
    this.unix = conn.addr.transport === "unixpacket";
  }

  /** Whether the socket can receive: every UDP socket, a Unix one bound to a path. */
  get canReceive(): boolean {
    return !this.unix || !unnamed(this.conn.addr);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one datagram after those sent before it; resolves to the bytes
   * sent. `more` says that the caller has more to send at once (a Unix
   * channel then drains its queue after this one, see above).
   */
  send(data: Uint8Array, addr: Deno.Addr, more = false): Promise<number> {
    if (
      !this.#sending && this.#receiveOp === null && this.#head === this.#queue.length &&
      !(more && this.unix)
    ) {
      // Nothing ahead of it: straight to Deno.
      this.#sending = true;
      const op = this.conn.send(data, addr);
      op.then(this.#sent, this.#sent);
      return op;
    }
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ data, addr, more, resolve, reject });
      if (!this.#sending) this.#pump();
    });
  }

  #sent = (): void => {
    this.#sending = false;
    if (this.#head < this.#queue.length) this.#pump();
    else this.#sendsDone();
  };

  #sendsDone(): void {
    this.#queue = [];
    this.#head = 0;
    const resume = this.#afterSends;
    this.#afterSends = null;
    resume?.();
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    if (this.#receiveOp !== null) {
      // Unix: the pending receive must end first; a wake-up ends it.
      if (this.#tokensInFlight === 0) this.#sendToken();
      return;
    }
    this.#sending = true;
    while (this.#head < this.#queue.length) {
      const item = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      try {
        item.resolve(await this.conn.send(item.data, item.addr));
      } catch (error) {
        item.reject(error);
      }
      if (this.unix && (item.more || this.#head < this.#queue.length)) await this.#drain();
    }
    this.#sending = false;
    this.#sendsDone();
  }

  // Sends the channel a wake-up datagram from an unbound helper socket;
  // resolves only if that fails (with the error).
  #sendToken(): Promise<unknown> {
    if (this.#closed) return never;
    this.#token ??= crypto.getRandomValues(new Uint8Array(16));
    try {
      this.#waker ??= listenDatagram({ transport: "unixpacket" });
    } catch (error) {
      this.#failQueued(error);
      return Promise.resolve(error);
    }
    this.#tokensInFlight++;
    // One send at a time on the helper too (Deno throws Busy otherwise).
    const waker = this.#waker;
    const token = this.#token;
    const send = () => waker.send(token, this.conn.addr);
    const op = this.#wakerTail.then(send, send);
    this.#wakerTail = op.catch(() => {});
    return op.then(() => never, (error) => {
      this.#tokensInFlight--;
      if (!this.#closed) this.#failQueued(error);
      return error;
    });
  }

  // The wake-up could not be sent (the socket file was removed, say): the
  // sends that wait for it fail with that error rather than wait forever.
  #failQueued(error: unknown): void {
    const queued = this.#queue.slice(this.#head) as Send[];
    this.#queue = [];
    this.#head = 0;
    for (const item of queued) item.reject(error);
  }

  // Unix: the one receive outstanding; what it gets goes to the inbox.
  #receiveOnce(): Promise<void> {
    if (this.#receiveOp !== null) return this.#receiveOp;
    const buffer = this.#receiveBuffer ??= new Uint8Array(UNIX_MAX_SIZE);
    const op = this.conn.receive(buffer).then(([data, from]) => {
      this.#receiveOp = null;
      if (this.#token !== null && unnamed(from) && sameBytes(data, this.#token)) {
        this.#tokensInFlight--;
        this.#tokensReceived++;
      } else {
        this.#inbox.push([data.slice(), from]);
      }
      if (!this.#sending && this.#head < this.#queue.length) this.#pump();
    }, (error) => {
      this.#receiveOp = null;
      this.#receiveError = { error };
      if (!this.#sending && this.#head < this.#queue.length) this.#pump();
    });
    this.#receiveOp = op;
    return op;
  }

  // Unix: receives what waits in the socket's queue, up to a wake-up sent now.
  async #drain(): Promise<void> {
    if (this.#closed || !this.canReceive || this.#inbox.length >= INBOX_LIMIT) return;
    const before = this.#tokensReceived;
    const failed = this.#sendToken();
    while (this.#tokensReceived === before && this.#receiveError === null && !this.#closed) {
      if (await Promise.race([this.#receiveOnce().then(() => false), failed.then(() => true)])) {
        return;
      }
    }
  }

  /**
   * Receives one datagram into `buffer` (a view of it is returned; a longer
   * datagram is cut, as the OS does). One caller at a time.
   */
  async receive(buffer: Uint8Array): Promise<Received> {
    if (!this.unix) return await this.conn.receive(buffer);
    if (!this.canReceive) {
      throw new Deno.errors.NotConnected(
        "an unbound Unix datagram socket cannot receive: bind it to a path (localAddr) first",
      );
    }
    for (;;) {
      const received = this.#inbox.shift();
      if (received !== undefined) {
        const [data, from] = received;
        const n = Math.min(data.length, buffer.length);
        buffer.set(n === data.length ? data : data.subarray(0, n));
        return [buffer.subarray(0, n), from];
      }
      const failed = this.#receiveError;
      if (failed !== null) {
        this.#receiveError = null;
        throw failed.error;
      }
      if (this.#sending || this.#head < this.#queue.length) {
        await new Promise<void>((resolve) => this.#afterSends = resolve);
        continue;
      }
      await this.#receiveOnce();
    }
  }

  /** Closes the socket (and the helper); pending operations reject. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.conn);
    if (this.#waker !== null) closeQuietly(this.#waker);
    this.#inbox = [];
  }
}

// ---- addresses ----------------------------------------------------------------

/** Checks an internet address `[host, port]`: a `TypeError` for the wrong shape, `RangeError` for the port. */
export function checkInetAddress(addr: unknown, what = "address"): [string, number] {
  if (
    !Array.isArray(addr) || addr.length < 2 || addr.length > 4 ||
    (typeof addr[0] !== "string" && addr[0] !== null)
  ) {
    throw new TypeError(
      `${what} must be a [host, port] tuple, not ${describe(addr)}`,
    );
  }
  const port = addr[1];
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(`${what}: port must be an integer, not ${describe(port)}`);
  }
  if (port < 0 || port > 65535) throw new RangeError(`${what}: port must be 0-65535, got ${port}`);
  return [addr[0] ?? "", port];
}

/** Checks a Unix socket address: a path string. */
export function checkUnixAddress(addr: unknown, what = "address"): string {
  if (typeof addr !== "string") {
    throw new TypeError(`${what} of a Unix socket must be a path string, not ${describe(addr)}`);
  }
  return addr;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? "null" : typeof value;
}

/** The canonical text of a numeric host (`::0001` is `::1`), or the host unchanged. */
export function canonicalHost(host: string): string {
  if (host.includes(":")) {
    try {
      return new URL(`http://[${host.split("%")[0]}]`).hostname.slice(1, -1);
    } catch {
      return host;
    }
  }
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 === null ? host : v4.slice(1).map(Number).join(".");
}

/** Whether a Deno address is the internet address `[host, port]` (numeric host). */
export function isInetAddr(addr: Deno.Addr, host: string, port: number): boolean {
  if (addr.transport !== "udp" && addr.transport !== "tcp") return false;
  if (addr.port !== port) return false;
  const h = canonicalHost(addr.hostname);
  if (h === host) return true;
  // An IPv4 peer seen through a dual-stack socket.
  return h.toLowerCase() === `::ffff:${host}`;
}

/** Whether `host` is a loopback address. */
export function isLoopback(host: string): boolean {
  return /^127\./.test(host) || canonicalHost(host) === "::1";
}
