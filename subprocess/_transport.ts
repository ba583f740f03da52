// The subprocess transport, modelled on asyncio's base_subprocess.py: a
// Deno.ChildProcess whose pipes are the library's pipe transports. The
// protocol sees connectionMade, then pipeDataReceived / pipeConnectionLost /
// processExited in the order they happen, then connectionLost once the
// process has exited AND every pipe is closed; wait() returns after that.
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";
import { logger } from "../loop/log.ts";
import { outsideTasks } from "../loop/_context.ts";
import { signalNumber } from "../loop/_signals.ts";
import { Protocol, type SubprocessProtocol } from "../protocols/protocols.ts";
import { type BaseTransport, SubprocessTransport } from "../transports/transports.ts";
import { StreamTransport } from "../transports/_stream_transport.ts";
import { ReadableChannel, WritableChannel } from "../transports/pipes.ts";
import type { SpawnPlan, StdioReader, StdioWriter } from "./_stdio.ts";
import { runAccess } from "../loop/_permissions.ts";

const PUMP_SIZE = 64 * 1024;

/** The protocol of one of the child's pipes: it reports to the subprocess transport. */
class PipeProtocol extends Protocol {
  pipe: StreamTransport | null = null;
  disconnected = false;
  #owner: DenoSubprocessTransport;
  readonly fd: number;

  constructor(owner: DenoSubprocessTransport, fd: number) {
    super();
    this.#owner = owner;
    this.fd = fd;
  }

  override connectionMade(transport: StreamTransport): void {
    this.pipe = transport;
    this.#owner._pipeConnected();
  }

  override dataReceived(data: Uint8Array): void {
    this.#owner._pipeDataReceived(this.fd, data);
  }

  override eofReceived(): void {}

  override connectionLost(exc: Error | null): void {
    this.disconnected = true;
    this.#owner._pipeConnectionLost(this.fd, exc);
  }

  override pauseWriting(): void {
    this.#owner._protocol?.pauseWriting();
  }

  override resumeWriting(): void {
    this.#owner._protocol?.resumeWriting();
  }

  override toString(): string {
    return `<PipeProtocol fd=${this.fd} pipe=${this.pipe}>`;
  }
}

function returncodeOf(status: Deno.CommandStatus): number {
  return status.signal !== null ? -signalNumber(status.signal) : status.code;
}

function spawnError(error: unknown, plan: SpawnPlan): unknown {
  // With stderr: STDOUT the program itself was checked already: /bin/sh is missing.
  const note = plan.merged ? ` (stderr: STDOUT runs ${plan.program} through /bin/sh)` : "";
  return runAccess(error, plan.command, note);
}

/** `SubprocessTransport` on `Deno.Command(...).spawn()`. */
export class DenoSubprocessTransport extends SubprocessTransport {
  #loop: EventLoop | null;
  /** @internal */
  _protocol: SubprocessProtocol | null;
  #child: Deno.ChildProcess | null;
  #pid: number;
  #returncode: number | null = null;
  #exitWaiters: Future<number>[] | null = [];
  #pendingCalls: (() => void)[] | null = [];
  #pipes = new Map<number, PipeProtocol>();
  #unconnected = 0;
  #pumps = 0;
  #stopStdinPump = false;
  #finished = false;
  #closed = false;
  #waiter: Future<void> | null;

  /** Spawns the child (synchronously: a spawn error throws here) and connects its pipes. */
  constructor(
    loop: EventLoop,
    protocol: SubprocessProtocol,
    plan: SpawnPlan,
    waiter: Future<void> | null,
  ) {
    super({});
    this.#loop = loop;
    this._protocol = protocol;
    this.#waiter = waiter;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(plan.command, { ...plan.options, args: plan.args }).spawn();
    } catch (error) {
      throw spawnError(error, plan);
    }
    this.#child = child;
    this.#pid = child.pid;
    this._extra.subprocess = child;
    if (loop.getDebug()) logger.debug(`process ${plan.program} created: pid ${child.pid}`);
    outsideTasks(() => {
      child.status.then((status) => this.#onStatus(status));
      if (plan.stdin.kind === "reader") this.#pumpIn(plan.stdin.file, child.stdin);
      if (plan.stdout.kind === "writer") this.#pumpOut(child.stdout, plan.stdout.file);
      if (plan.stderr?.kind === "writer") this.#pumpOut(child.stderr, plan.stderr.file);
    });
    if (plan.stdin.kind === "pipe") {
      this.#connectPipe(0, new WritableChannel(child.stdin), "write", child.stdin);
    }
    if (plan.stdout.kind === "pipe") {
      this.#connectPipe(1, new ReadableChannel(child.stdout), "read", child.stdout);
    }
    if (plan.stderr?.kind === "pipe") {
      this.#connectPipe(2, new ReadableChannel(child.stderr), "read", child.stderr);
    }
    // No pipe to wait for: connectionMade is scheduled now (and still runs
    // before the caller resumes, whose wake-up is scheduled after it).
    if (this.#unconnected === 0) this._pipeConnected();
  }

  #connectPipe(
    fd: number,
    channel: ReadableChannel | WritableChannel,
    mode: "read" | "write",
    pipe: unknown,
  ): StreamTransport {
    const proto = new PipeProtocol(this, fd);
    this.#pipes.set(fd, proto);
    this.#unconnected++;
    const transport = new StreamTransport(this.#loop!, channel, proto, { extra: { pipe }, mode });
    proto.pipe = transport;
    return transport;
  }

  override toString(): string {
    const info = [this.constructor.name];
    if (this.#closed) info.push("closed");
    info.push(`pid=${this.#pid}`);
    if (this.#returncode !== null) info.push(`returncode=${this.#returncode}`);
    else info.push("running");
    for (const [fd, name] of [[0, "stdin"], [1, "stdout"], [2, "stderr"]] as const) {
      const proto = this.#pipes.get(fd);
      if (proto !== undefined) info.push(`${name}=${proto.pipe}`);
    }
    return `<${info.join(" ")}>`;
  }

  override setProtocol(protocol: SubprocessProtocol): void {
    this._protocol = protocol;
  }

  override getProtocol(): SubprocessProtocol {
    return this._protocol!;
  }

  override isClosing(): boolean {
    return this.#closed;
  }

  override getPid(): number {
    return this.#pid;
  }

  override getReturncode(): number | null {
    return this.#returncode;
  }

  override getPipeTransport(fd: number): BaseTransport | null {
    return this.#pipes.get(fd)?.pipe ?? null;
  }

  /** Closes the pipes and kills the child if it is still running. */
  override close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopStdinPump = true;
    for (const proto of this.#pipes.values()) proto.pipe?.close();
    if (this.#child !== null && this.#returncode === null) {
      if (this.#loop?.getDebug()) logger.warning(`Close running child process: kill ${this}`);
      this.#signal("SIGKILL");
    }
  }

  #checkProc(): Deno.ChildProcess {
    // Python's ProcessLookupError is ESRCH, which Deno reports as NotFound.
    if (this.#child === null) throw new Deno.errors.NotFound("ESRCH: No such process");
    return this.#child;
  }

  #signal(sig: Deno.Signal): void {
    try {
      this.#child!.kill(sig);
    } catch (error) {
      // The child has exited and its status is on the way: nothing to signal,
      // as Popen.send_signal() does nothing once the child is gone.
      if (error instanceof TypeError && /terminated/.test(error.message)) return;
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
  }

  override sendSignal(sig: Deno.Signal): void {
    this.#checkProc();
    signalNumber(sig);
    this.#signal(sig);
  }

  override terminate(): void {
    this.#checkProc();
    this.#signal("SIGTERM");
  }

  override kill(): void {
    this.#checkProc();
    this.#signal("SIGKILL");
  }

  /** @internal The exit code once the process has exited and every pipe is closed. */
  async _wait(): Promise<number> {
    if (this.#returncode !== null) return this.#returncode;
    const waiter = this.#loop!.createFuture<number>();
    this.#exitWaiters!.push(waiter);
    return await waiter;
  }

  // ---- events ----------------------------------------------------------------

  #call(callback: () => void): void {
    if (this.#pendingCalls !== null) this.#pendingCalls.push(callback);
    else this.#loop!.callSoon(callback);
  }

  /** @internal A pipe ran `connectionMade`; the last one makes the connection. */
  _pipeConnected(): void {
    if (this.#unconnected > 0 && --this.#unconnected > 0) return;
    const loop = this.#loop!;
    const pending = this.#pendingCalls;
    if (pending === null) return;
    this.#pendingCalls = null;
    const protocol = this._protocol!;
    loop.callSoon(() => protocol.connectionMade(this));
    for (const callback of pending) loop.callSoon(callback);
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter !== null && !waiter.done()) waiter.setResult();
  }

  /** @internal */
  _pipeDataReceived(fd: number, data: Uint8Array): void {
    this.#call(() => this._protocol!.pipeDataReceived(fd, data));
  }

  /** @internal */
  _pipeConnectionLost(fd: number, exc: Error | null): void {
    this.#call(() => this._protocol!.pipeConnectionLost(fd, exc));
    this.#tryFinish();
  }

  #onStatus(status: Deno.CommandStatus): void {
    this.#stopStdinPump = true;
    const loop = this.#loop;
    if (loop === null || loop.isClosed()) {
      // Nothing can run any more; the code is still worth knowing.
      this.#returncode = returncodeOf(status);
      return;
    }
    // From a promise job, not a loop callback: #processExited only records
    // the code and schedules the protocol's callbacks.
    this.#processExited(returncodeOf(status));
  }

  #processExited(returncode: number): void {
    if (this.#loop?.getDebug()) logger.debug(`${this} exited with return code ${returncode}`);
    this.#returncode = returncode;
    this.#call(() => this._protocol!.processExited());
    // asyncio's write pipe sees the child's end close; a Deno write pipe
    // learns it only from a failed write: close an idle stdin now (a write
    // in flight fails with BrokenPipe by itself).
    const stdin = this.#pipes.get(0)?.pipe ?? null;
    if (stdin !== null && !stdin.isClosing() && stdin.getWriteBufferSize() === 0) {
      stdin.close();
    }
    this.#tryFinish();
  }

  #tryFinish(): void {
    if (this.#finished || this.#returncode === null || this.#pumps > 0) return;
    for (const proto of this.#pipes.values()) if (!proto.disconnected) return;
    this.#finished = true;
    this.#call(() => this.#callConnectionLost(null));
  }

  #callConnectionLost(exc: Error | null): void {
    try {
      this._protocol!.connectionLost(exc);
    } finally {
      for (const waiter of this.#exitWaiters!) {
        if (!waiter.cancelled()) waiter.setResult(this.#returncode!);
      }
      this.#exitWaiters = null;
      this.#child = null;
    }
  }

  // ---- file stdio ------------------------------------------------------------
  // Deno.Command takes "piped", "inherit" or "null" only: a file is pumped
  // through a pipe. The child's end is a pipe, not the file (no seeking);
  // connectionLost waits until what the child wrote is in the file.

  async #pumpIn(file: StdioReader, stdin: WritableStream<Uint8Array>): Promise<void> {
    this.#pumps++;
    const writer = stdin.getWriter();
    const buffer = new Uint8Array(PUMP_SIZE);
    try {
      while (!this.#stopStdinPump) {
        const n = await file.read(buffer);
        if (n === null || this.#stopStdinPump) break;
        await writer.write(buffer.slice(0, n));
      }
      await writer.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) this.#pumpFailed(error, "stdin");
      writer.abort().catch(() => {});
    } finally {
      this.#pumpDone();
    }
  }

  async #pumpOut(stream: ReadableStream<Uint8Array>, file: StdioWriter): Promise<void> {
    this.#pumps++;
    const reader = stream.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        let offset = 0;
        while (offset < value.length) {
          offset += await file.write(offset === 0 ? value : value.subarray(offset));
        }
      }
    } catch (error) {
      this.#pumpFailed(error, "output");
      reader.cancel().catch(() => {});
    } finally {
      this.#pumpDone();
    }
  }

  #pumpFailed(error: unknown, what: string): void {
    if (this.#loop?.getDebug()) logger.debug(`${this}: copying ${what} failed: ${error}`);
  }

  #pumpDone(): void {
    this.#pumps--;
    const loop = this.#loop;
    if (this.#pumps === 0 && loop !== null && !loop.isClosed()) {
      loop.callSoon(() => this.#tryFinish());
    }
  }
}
