/**
 * Subprocess transports: `loop.subprocessExec` and `loop.subprocessShell`
 * on `Deno.Command`.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { SubprocessProtocol } from "../protocols/protocols.ts";
import type { SubprocessTransport } from "../transports/transports.ts";

/** Options of `loop.subprocessExec`/`subprocessShell` (Python's `subprocess.Popen` keywords). */
export interface SubprocessOptions {
  /** `PIPE`, `DEVNULL`, a `Deno.FsFile`, or undefined to inherit. */
  stdin?: unknown;
  /** `PIPE`, `DEVNULL`, a `Deno.FsFile`, or undefined to inherit. */
  stdout?: unknown;
  /** `PIPE`, `DEVNULL`, `STDOUT`, a `Deno.FsFile`, or undefined to inherit. */
  stderr?: unknown;
  /** The working directory. */
  cwd?: string | URL;
  /** The whole environment of the child (it replaces the parent's, as in Python). */
  env?: Record<string, string>;
}

/** `loop.subprocessExec`. */
export function subprocessExec<P extends SubprocessProtocol>(
  _loop: EventLoop,
  _protocolFactory: () => P,
  _program: string,
  _args: string[],
  _options: SubprocessOptions = {},
): Promise<[SubprocessTransport, P]> {
  return Promise.reject(new NotImplementedError("subprocessExec: work in progress"));
}

/** `loop.subprocessShell`. */
export function subprocessShell<P extends SubprocessProtocol>(
  _loop: EventLoop,
  _protocolFactory: () => P,
  _cmd: string,
  _options: SubprocessOptions = {},
): Promise<[SubprocessTransport, P]> {
  return Promise.reject(new NotImplementedError("subprocessShell: work in progress"));
}
