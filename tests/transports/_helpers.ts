// Protocols and servers the transport tests share.
import {
  BufferedProtocol,
  type EventLoop,
  type Future,
  getRunningLoop,
  Protocol,
  type Server,
  type Transport,
} from "../../mod.ts";

/** Records every callback, and collects the bytes received. */
export class Recorder extends Protocol {
  events: string[] = [];
  chunks: Uint8Array[] = [];
  transport!: Transport;
  lostError: Error | null = null;
  keepOpenOnEof = false;
  readonly made: Future<void>;
  readonly lost: Future<Error | null>;
  readonly eof: Future<void>;
  #loop: EventLoop;

  constructor() {
    super();
    this.#loop = getRunningLoop();
    this.made = this.#loop.createFuture();
    this.lost = this.#loop.createFuture();
    this.eof = this.#loop.createFuture();
  }

  override connectionMade(transport: Transport): void {
    this.events.push("made");
    this.transport = transport;
    this.made.setResult();
  }

  override dataReceived(data: Uint8Array): void {
    if (this.events.at(-1) !== "data") this.events.push("data");
    this.chunks.push(data);
    this.#total += data.length;
    this.onData(data);
    for (const [n, waiter] of this.#waiters) {
      if (this.#total >= n && !waiter.done()) waiter.setResult();
    }
    this.#waiters = this.#waiters.filter(([, waiter]) => !waiter.done());
  }

  /** Resolves once `n` bytes in all have arrived. */
  async receivedAtLeast(n: number): Promise<void> {
    if (this.#total >= n) return;
    const waiter = this.#loop.createFuture<void>();
    this.#waiters.push([n, waiter]);
    await waiter;
  }

  #total = 0;
  #waiters: [number, Future<void>][] = [];

  /** Called for each chunk; subclasses react. */
  onData(_data: Uint8Array): void {}

  override eofReceived(): boolean {
    this.events.push("eof");
    this.eof.setResult();
    return this.keepOpenOnEof;
  }

  override pauseWriting(): void {
    this.events.push("pause");
  }

  override resumeWriting(): void {
    this.events.push("resume");
  }

  override connectionLost(exc: Error | null): void {
    this.events.push("lost");
    this.lostError = exc;
    this.lost.setResult(exc);
  }

  received(): Uint8Array {
    const size = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(size);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  get receivedLength(): number {
    return this.#total;
  }
}

/** Echoes what it receives. */
export class Echo extends Recorder {
  override onData(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** Counts the bytes it is lent a buffer for. */
export class Counting extends BufferedProtocol {
  buffer = new Uint8Array(1000);
  total = 0;
  sizes: number[] = [];
  transport!: Transport;
  readonly lost: Future<Error | null> = getRunningLoop().createFuture();

  override connectionMade(transport: Transport): void {
    this.transport = transport;
  }

  override getBuffer(sizeHint: number): Uint8Array {
    this.sizes.push(sizeHint);
    return this.buffer;
  }

  override bufferUpdated(nbytes: number): void {
    this.total += nbytes;
  }

  override connectionLost(exc: Error | null): void {
    this.lost.setResult(exc);
  }
}

export function portOf(server: Server): number {
  return (server.sockets[0].getsockname() as [string, number])[1];
}

export const encoder: TextEncoder = new TextEncoder();
export const decoder: TextDecoder = new TextDecoder();

/** Resolves after the loop has run `n` iterations. */
export async function iterations(n: number): Promise<void> {
  const { sleep } = await import("../../mod.ts");
  for (let i = 0; i < n; i++) await sleep(0);
}
