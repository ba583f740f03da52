/**
 * The high-level subprocess API of asyncio's `subprocess.py`:
 * `createSubprocessExec`, `createSubprocessShell` and `Process`, whose
 * `stdin` is a `StreamWriter` and `stdout`/`stderr` are `StreamReader`s.
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import { gather } from "../loop/gather.ts";
import { logger } from "../loop/log.ts";
import { getRunningLoop } from "../loop/_running.ts";
import { SubprocessProtocol } from "../protocols/protocols.ts";
import { DEFAULT_LIMIT, StreamReader } from "../streams/stream_reader.ts";
import { StreamReaderProtocol } from "../streams/stream_reader_protocol.ts";
import { StreamWriter } from "../streams/stream_writer.ts";
import type { SubprocessTransport, Transport } from "../transports/transports.ts";
import { toBytes } from "../transports/_bytes.ts";
import type { SubprocessOptions } from "./_stdio.ts";
import type { DenoSubprocessTransport } from "./_transport.ts";

export { DEVNULL, PIPE, STDOUT } from "./_stdio.ts";
export type { StdinOption, StdioReader, StdioWriter, StdoutOption } from "./_stdio.ts";

/**
 * Options of `createSubprocessExec`/`createSubprocessShell`: those of
 * `loop.subprocessExec` plus the readers' `limit`. Omitted `stdin`,
 * `stdout` and `stderr` are inherited, as in Python.
 */
export interface CreateSubprocessOptions extends SubprocessOptions {
  /** The buffer limit of `stdout` and `stderr` in bytes (64 KiB by default). */
  limit?: number;
}

/**
 * The protocol behind a `Process`, as asyncio's: it feeds the child's
 * stdout and stderr pipes into `StreamReader`s and gives its stdin pipe a
 * `StreamWriter`. `createSubprocessExec` makes one; use it directly with
 * `loop.subprocessExec` to build a `Process` yourself.
 *
 * @example
 * ```ts
 * import { getRunningLoop, PIPE, Process, run, SubprocessStreamProtocol } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const [transport, protocol] = await loop.subprocessExec(
 *     () => new SubprocessStreamProtocol(2 ** 16, loop),
 *     "echo",
 *     "made by hand",
 *     { stdin: null, stdout: PIPE, stderr: null },
 *   );
 *   const proc = new Process(transport, protocol, loop);
 *   const [stdout] = await proc.communicate();
 *   console.log(new TextDecoder().decode(stdout!)); // "made by hand\n"
 * });
 * ```
 */
export class SubprocessStreamProtocol extends SubprocessProtocol {
  /** The child's stdin, when it is a pipe. */
  stdin: StreamWriter | null = null;
  /** The child's stdout, when it is a pipe. */
  stdout: StreamReader | null = null;
  /** The child's stderr, when it is a pipe. */
  stderr: StreamReader | null = null;
  #limit: number;
  #loop: EventLoop;
  #transport: SubprocessTransport | null = null;
  #processExited = false;
  #pipeFds: number[] = [];
  // The stdin writer's flow control and close waiter (Python's FlowControlMixin).
  #stdinProtocol: StreamReaderProtocol;

  /** Creates the protocol; `limit` is the readers' buffer limit. */
  constructor(limit: number = DEFAULT_LIMIT, loop?: EventLoop) {
    super();
    this.#loop = loop ?? getRunningLoop();
    this.#limit = limit;
    this.#stdinProtocol = new StreamReaderProtocol(null, null, this.#loop);
  }

  /** A description such as `<SubprocessStreamProtocol stdout=<StreamReader>>`. */
  override toString(): string {
    const info = ["SubprocessStreamProtocol"];
    if (this.stdin !== null) info.push(`stdin=${this.stdin}`);
    if (this.stdout !== null) info.push(`stdout=${this.stdout}`);
    if (this.stderr !== null) info.push(`stderr=${this.stderr}`);
    return `<${info.join(" ")}>`;
  }

  /** Makes the readers and the writer of the child's pipes. */
  override connectionMade(transport: SubprocessTransport): void {
    this.#transport = transport;
    const stdout = transport.getPipeTransport(1) as Transport | null;
    if (stdout !== null) {
      this.stdout = new StreamReader(this.#limit, this.#loop);
      this.stdout.setTransport(stdout);
      this.#pipeFds.push(1);
    }
    const stderr = transport.getPipeTransport(2) as Transport | null;
    if (stderr !== null) {
      this.stderr = new StreamReader(this.#limit, this.#loop);
      this.stderr.setTransport(stderr);
      this.#pipeFds.push(2);
    }
    const stdin = transport.getPipeTransport(0) as Transport | null;
    if (stdin !== null) {
      this.#stdinProtocol.connectionMade(stdin);
      this.stdin = new StreamWriter(stdin, this.#stdinProtocol, null, this.#loop);
    }
  }

  // communicate(): the output of a pipe, kept as it arrives.
  #collectors = new Map<number, Uint8Array[]>();

  /** Feeds the reader of `fd`. */
  override pipeDataReceived(fd: number, data: Uint8Array): void {
    const collector = this.#collectors.get(fd);
    if (collector !== undefined) {
      collector.push(data);
      return;
    }
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    reader?.feedData(data);
  }

  /**
   * @internal From now on the data of pipe `fd` goes to the returned list,
   * not to its reader (whose own buffer and EOF stay as they are).
   */
  _collect(fd: number): Uint8Array[] {
    const chunks: Uint8Array[] = [];
    this.#collectors.set(fd, chunks);
    return chunks;
  }

  /**
   * @internal Ends `_collect(fd)`; with `restore`, gives the collected data
   * back to the reader (when it can still take data).
   */
  _endCollect(fd: number, restore: boolean): void {
    const chunks = this.#collectors.get(fd);
    this.#collectors.delete(fd);
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    if (!restore || chunks === undefined || reader === null || reader.atEof()) return;
    for (const chunk of chunks) reader.feedData(chunk);
  }

  /** Ends the reader of `fd` (with the error, if any), or the writer for stdin. */
  override pipeConnectionLost(fd: number, exc: Error | null): void {
    if (fd === 0) {
      this.stdin?.close();
      this.#stdinProtocol.connectionLost(exc);
      return;
    }
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    if (reader !== null) {
      if (exc === null) reader.feedEof();
      else reader.setException(exc);
    }
    const index = this.#pipeFds.indexOf(fd);
    if (index !== -1) this.#pipeFds.splice(index, 1);
    this.#maybeCloseTransport();
  }

  /** The child exited: the transport closes once its output pipes are closed. */
  override processExited(): void {
    this.#processExited = true;
    this.#maybeCloseTransport();
  }

  /** The stdin pipe's buffer is full: `stdin.drain()` waits. */
  override pauseWriting(): void {
    this.#stdinProtocol.pauseWriting();
  }

  /** The stdin pipe's buffer drained: `stdin.drain()` returns. */
  override resumeWriting(): void {
    this.#stdinProtocol.resumeWriting();
  }

  #maybeCloseTransport(): void {
    if (this.#pipeFds.length === 0 && this.#processExited) {
      this.#transport?.close();
      this.#transport = null;
    }
  }
}

const FEED_SLICE = 1024 * 1024;

function isBrokenPipe(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset;
}

/**
 * A child process started by `createSubprocessExec` or
 * `createSubprocessShell`, as asyncio's `asyncio.subprocess.Process`.
 * `returncode` is `null` while it runs, then its exit code, or minus the
 * signal number when a signal killed it (`SIGKILL` → -9).
 *
 * @example
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
 *   const [stdout, stderr] = await proc.communicate(new TextEncoder().encode("meow"));
 *   console.log(new TextDecoder().decode(stdout!)); // "meow"
 *   console.log(stderr, proc.returncode); // null 0
 * });
 * ```
 */
export class Process {
  /** The child's stdin (`stdin: PIPE`), else `null`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout (`stdout: PIPE`), else `null`. */
  readonly stdout: StreamReader | null;
  /** The child's stderr (`stderr: PIPE`), else `null`. */
  readonly stderr: StreamReader | null;
  /** The child's process id (the shell's, for `createSubprocessShell`). */
  readonly pid: number;
  #transport: SubprocessTransport;
  #protocol: SubprocessStreamProtocol;
  #loop: EventLoop;

  /** Wraps a transport and its `SubprocessStreamProtocol`; `createSubprocessExec` makes one. */
  constructor(transport: SubprocessTransport, protocol: SubprocessStreamProtocol, loop: EventLoop) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#loop = loop;
    this.stdin = protocol.stdin;
    this.stdout = protocol.stdout;
    this.stderr = protocol.stderr;
    this.pid = transport.getPid();
  }

  /** A description such as `<Process 1234>`. */
  toString(): string {
    return `<Process ${this.pid}>`;
  }

  /** The exit code; `null` while running; `-N` when signal `N` killed the child. */
  get returncode(): number | null {
    return this.#transport.getReturncode();
  }

  /**
   * Waits until the child has exited (and its pipes are closed) and returns
   * its `returncode`. With `stdout: PIPE` and a child that writes more than
   * the pipe and the reader hold, read it (or use `communicate`) or this
   * waits forever, as in Python.
   */
  async wait(): Promise<number> {
    return await (this.#transport as DenoSubprocessTransport)._wait();
  }

  /** Sends a signal (`"SIGTERM"`, `"SIGUSR1"`, ...); nothing once the child exited. */
  sendSignal(signal: Deno.Signal): void {
    this.#transport.sendSignal(signal);
  }

  /** Sends `SIGTERM`. */
  terminate(): void {
    this.#transport.terminate();
  }

  /** Sends `SIGKILL`. */
  kill(): void {
    this.#transport.kill();
  }

  async #feedStdin(input: Uint8Array): Promise<void> {
    const stdin = this.stdin!;
    const debug = this.#loop.getDebug();
    try {
      // In slices, each drained before the next: the transport copies what
      // it is given, and one copy of a 1 GiB input costs 1 GiB and the
      // page faults of fresh memory; slices reuse the allocator's memory.
      for (let offset = 0; offset < input.length; offset += FEED_SLICE) {
        stdin.write(input.subarray(offset, offset + FEED_SLICE));
        await stdin.drain();
      }
      if (debug) logger.debug(`${this} communicate: fed stdin (${input.length} bytes)`);
    } catch (error) {
      // communicate() ignores BrokenPipe and ConnectionReset, as asyncio:
      // the child exited before reading all its input.
      if (!isBrokenPipe(error)) throw error;
      if (debug) logger.debug(`${this} communicate: stdin got ${error}`);
    }
    if (debug) logger.debug(`${this} communicate: close stdin`);
    stdin.close();
  }

  // As asyncio's `await stream.read()`, which gathers 64 KiB blocks and
  // joins them: here what the reader holds now is read that way, and what
  // arrives afterwards is kept as it arrives, so that each byte is copied
  // once rather than in and out of the reader's buffer (a quarter less time
  // for 1 GiB through cat). The reader ends as after read(): at EOF, or
  // with the pipe's error thrown. Cancelled, it keeps what was not read.
  async #readStream(fd: 1 | 2): Promise<Uint8Array> {
    const transport = this.#transport.getPipeTransport(fd);
    const stream = fd === 1 ? this.stdout! : this.stderr!;
    const chunks = this.#protocol._collect(fd);
    let head: Uint8Array;
    try {
      // Returns at the pipe's EOF (or throws its error): the reader gets
      // the EOF, the chunks list the data.
      head = await stream.read();
    } catch (error) {
      this.#protocol._endCollect(fd, true);
      throw error;
    }
    this.#protocol._endCollect(fd, false);
    transport?.close();
    if (head.length === 0 && chunks.length === 1) return chunks[0];
    let size = head.length;
    for (const chunk of chunks) size += chunk.length;
    const output = new Uint8Array(size);
    output.set(head, 0);
    let offset = head.length;
    for (const chunk of chunks) {
      output.set(chunk, offset);
      offset += chunk.length;
    }
    return output;
  }

  /**
   * Sends `input` to stdin (then closes it), reads stdout and stderr to the
   * end, all at the same time, then waits for the child: returns
   * `[stdout, stderr]`, each `null` unless it is a pipe. A child that exits
   * before reading all of `input` is not an error. Input needs
   * `stdin: PIPE`; it is sent in 1 MiB slices as the pipe takes them, so
   * leave it unchanged until `communicate` resolves. The output is held in
   * memory.
   */
  async communicate(input?: Uint8Array | null): Promise<[Uint8Array | null, Uint8Array | null]> {
    let data: Uint8Array | null = null;
    if (input !== undefined && input !== null) {
      data = toBytes(input, "input");
      if (this.stdin === null) {
        throw new TypeError("communicate(input): the process was created without stdin: PIPE");
      }
    }
    const [, stdout, stderr] = await gather(
      data !== null ? () => this.#feedStdin(data) : () => null,
      this.stdout !== null ? () => this.#readStream(1) : () => null,
      this.stderr !== null ? () => this.#readStream(2) : () => null,
    );
    await this.wait();
    return [stdout, stderr];
  }
}

function withInherit(options: CreateSubprocessOptions): [number, SubprocessOptions] {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("the options must be an object");
  }
  const { limit = DEFAULT_LIMIT, ...rest } = options;
  return [limit, {
    ...rest,
    stdin: rest.stdin ?? null,
    stdout: rest.stdout ?? null,
    stderr: rest.stderr ?? null,
  }];
}

/**
 * Runs `program` with `args` (never through a shell) and returns its
 * `Process`; the options object comes last, as in
 * `createSubprocessExec("ls", "-l", { stdout: PIPE })`. Omitted stdio is
 * inherited. A program that cannot be found rejects with
 * `Deno.errors.NotFound`; without `--allow-run`, with `Deno.errors.NotCapable`.
 *
 * @example
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", "hello", "world", { stdout: PIPE });
 *   const line = await proc.stdout!.readline();
 *   console.log(new TextDecoder().decode(line)); // "hello world\n"
 *   console.log(await proc.wait()); // 0
 * });
 * ```
 */
export async function createSubprocessExec(
  program: string,
  ...args: [...string[]] | [...string[], CreateSubprocessOptions]
): Promise<Process> {
  const loop = getRunningLoop();
  const last = args.at(-1);
  const options = typeof last === "object" && last !== null ? last : {};
  const strings = (options === last ? args.slice(0, -1) : args) as string[];
  const [limit, rest] = withInherit(options);
  const [transport, protocol] = await loop.subprocessExec(
    () => new SubprocessStreamProtocol(limit, loop),
    program,
    ...strings,
    rest,
  );
  return new Process(transport, protocol, loop);
}

/**
 * Runs the shell command `cmd` with `/bin/sh -c` and returns its
 * `Process`, as `createSubprocessExec`. Quote what goes into `cmd`: the
 * shell interprets it.
 *
 * @example
 * ```ts
 * import { createSubprocessShell, PIPE, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessShell("echo $((6 * 7)) && exit 2", { stdout: PIPE });
 *   const [stdout] = await proc.communicate();
 *   console.log(new TextDecoder().decode(stdout!)); // "42\n"
 *   console.log(proc.returncode); // 2
 * });
 * ```
 */
export async function createSubprocessShell(
  cmd: string,
  options: CreateSubprocessOptions = {},
): Promise<Process> {
  const loop = getRunningLoop();
  const [limit, rest] = withInherit(options);
  const [transport, protocol] = await loop.subprocessShell(
    () => new SubprocessStreamProtocol(limit, loop),
    cmd,
    rest,
  );
  return new Process(transport, protocol, loop);
}
