// Datagram protocols and helpers the datagram, socket and sendfile tests share.
import {
  DatagramProtocol,
  type DatagramTransport,
  type EventLoop,
  type Future,
  getRunningLoop,
} from "../../mod.ts";

/** The flow-control methods a datagram endpoint's transport has. */
export interface FlowControlledDatagramTransport extends DatagramTransport {
  getWriteBufferSize(): number;
  getWriteBufferLimits(): [number, number];
  setWriteBufferLimits(high?: number, low?: number): void;
}

/** The transport, with its flow-control methods visible to the type checker. */
export function flow(transport: DatagramTransport): FlowControlledDatagramTransport {
  return transport as FlowControlledDatagramTransport;
}

/** Records every callback and the datagrams received. */
export class DatagramRecorder extends DatagramProtocol {
  events: string[] = [];
  datagrams: [Uint8Array, [string, number] | string][] = [];
  errors: Error[] = [];
  transport!: DatagramTransport;
  readonly made: Future<void>;
  readonly lost: Future<Error | null>;
  #loop: EventLoop;
  #waiters: [number, Future<void>][] = [];
  #errorWaiters: Future<Error>[] = [];

  constructor() {
    super();
    this.#loop = getRunningLoop();
    this.made = this.#loop.createFuture();
    this.lost = this.#loop.createFuture();
  }

  override connectionMade(transport: DatagramTransport): void {
    this.events.push("made");
    this.transport = transport;
    this.made.setResult();
  }

  override datagramReceived(data: Uint8Array, addr: [string, number] | string): void {
    if (this.events.at(-1) !== "datagram") this.events.push("datagram");
    this.datagrams.push([data, addr]);
    this.onDatagram(data, addr);
    for (const [n, waiter] of this.#waiters) {
      if (this.datagrams.length >= n && !waiter.done()) waiter.setResult();
    }
    this.#waiters = this.#waiters.filter(([, waiter]) => !waiter.done());
  }

  /** Called for each datagram; subclasses react. */
  onDatagram(_data: Uint8Array, _addr: [string, number] | string): void {}

  override errorReceived(exc: Error): void {
    this.events.push("error");
    this.errors.push(exc);
    for (const waiter of this.#errorWaiters.splice(0)) waiter.setResult(exc);
  }

  override pauseWriting(): void {
    this.events.push("pause");
  }

  override resumeWriting(): void {
    this.events.push("resume");
  }

  override connectionLost(exc: Error | null): void {
    this.events.push("lost");
    this.lost.setResult(exc);
  }

  /** Resolves once `n` datagrams in all have arrived. */
  async receivedAtLeast(n: number): Promise<void> {
    if (this.datagrams.length >= n) return;
    const waiter = this.#loop.createFuture<void>();
    this.#waiters.push([n, waiter]);
    await waiter;
  }

  /** Resolves with the next error given to `errorReceived`. */
  async nextError(): Promise<Error> {
    const waiter = this.#loop.createFuture<Error>();
    this.#errorWaiters.push(waiter);
    return await waiter;
  }
}

/** Echoes every datagram to its sender. */
export class DatagramEcho extends DatagramRecorder {
  override onDatagram(data: Uint8Array, addr: [string, number] | string): void {
    this.transport.sendto(data, addr);
  }
}

/** A datagram of `size` bytes: a 4-byte sequence number, then bytes derived from it. */
export function numbered(seq: number, size: number): Uint8Array {
  const out = new Uint8Array(Math.max(size, 4));
  new DataView(out.buffer).setUint32(0, seq);
  for (let i = 4; i < out.length; i++) out[i] = (seq * 31 + i) & 0xff;
  return out;
}

/** The sequence number of a `numbered` datagram, or -1 when its bytes are not right. */
export function checkNumbered(data: Uint8Array, size: number): number {
  if (data.length !== Math.max(size, 4)) return -1;
  const seq = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  const expected = numbered(seq, size);
  for (let i = 0; i < data.length; i++) if (data[i] !== expected[i]) return -1;
  return seq;
}

/**
 * Sends `count` numbered datagrams through `send`, at most `window` of them
 * unanswered at a time (loopback drops what a blast would overflow), and
 * resolves with the sequence numbers answered, in order of arrival.
 */
export async function windowed(
  client: DatagramRecorder,
  send: (datagram: Uint8Array) => void,
  count: number,
  size: number,
  window = 16,
): Promise<number[]> {
  let sent = 0;
  while (sent < Math.min(window, count)) send(numbered(sent++, size));
  for (let answered = 1; answered <= count; answered++) {
    await client.receivedAtLeast(answered);
    if (sent < count) send(numbered(sent++, size));
  }
  return client.datagrams.map(([data]) => checkNumbered(data, size));
}

/** A fresh temporary directory for Unix socket paths, removed by `cleanup`. */
export async function tempDir(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await Deno.makeTempDir({ prefix: "asyncio-udp-" });
  return { path, cleanup: () => Deno.remove(path, { recursive: true }) };
}
