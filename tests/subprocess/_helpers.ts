// Protocols and helpers the subprocess tests share.
import {
  type EventLoop,
  type Future,
  getRunningLoop,
  sleep,
  SubprocessProtocol,
  type SubprocessTransport,
} from "../../mod.ts";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

/** Records every callback of a subprocess protocol, and the bytes of each pipe. */
export class SubprocessRecorder extends SubprocessProtocol {
  events: string[] = [];
  chunks = new Map<number, Uint8Array[]>();
  pipeErrors = new Map<number, Error | null>();
  transport!: SubprocessTransport;
  readonly made: Future<void>;
  readonly exited: Future<void>;
  readonly lost: Future<Error | null>;
  readonly resumed: Future<void>;
  #loop: EventLoop;

  constructor() {
    super();
    this.#loop = getRunningLoop();
    this.made = this.#loop.createFuture();
    this.exited = this.#loop.createFuture();
    this.lost = this.#loop.createFuture();
    this.resumed = this.#loop.createFuture();
  }

  override connectionMade(transport: SubprocessTransport): void {
    this.events.push("made");
    this.transport = transport;
    this.made.setResult();
  }

  override pipeDataReceived(fd: number, data: Uint8Array): void {
    if (this.events.at(-1) !== `data${fd}`) this.events.push(`data${fd}`);
    const list = this.chunks.get(fd) ?? [];
    list.push(data);
    this.chunks.set(fd, list);
  }

  override pipeConnectionLost(fd: number, exc: Error | null): void {
    this.events.push(`pipe${fd}`);
    this.pipeErrors.set(fd, exc);
  }

  override processExited(): void {
    this.events.push("exited");
    this.exited.setResult();
  }

  override pauseWriting(): void {
    this.events.push("pause");
  }

  override resumeWriting(): void {
    this.events.push("resume");
    if (!this.resumed.done()) this.resumed.setResult();
  }

  override connectionLost(exc: Error | null): void {
    this.events.push("lost");
    this.lost.setResult(exc);
  }

  /** What arrived on `fd`, decoded. */
  text(fd: number): string {
    const list = this.chunks.get(fd) ?? [];
    let size = 0;
    for (const chunk of list) size += chunk.length;
    const all = new Uint8Array(size);
    let offset = 0;
    for (const chunk of list) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return decoder.decode(all);
  }
}

/**
 * Lets the loop run until `condition()` holds: one iteration at a time, no
 * timer (it waits for an event, not for a duration).
 */
export async function until(condition: () => boolean, iterations = 100_000): Promise<void> {
  for (let i = 0; i < iterations; i++) {
    if (condition()) return;
    await sleep(0);
  }
  throw new Error("condition never held");
}

/** A temporary directory, removed by `using`. */
export function tempDir(): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix: "asyncio-subprocess-" });
  return {
    path,
    [Symbol.dispose]() {
      Deno.removeSync(path, { recursive: true });
    },
  };
}

/** Writes an executable shell script. */
export function writeScript(path: string, body: string): void {
  Deno.writeTextFileSync(path, `#!/bin/sh\n${body}\n`);
  Deno.chmodSync(path, 0o755);
}
