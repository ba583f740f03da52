/**
 * Subprocess transports: `loop.subprocessExec` and `loop.subprocessShell`
 * on `Deno.Command(...).spawn()`, as asyncio's `base_subprocess.py`.
 *
 * @module
 */
import type { EventLoop } from "../loop/event_loop.ts";
import type { SubprocessProtocol } from "../protocols/protocols.ts";
import type { SubprocessTransport } from "../transports/transports.ts";
import { planSpawn, type SubprocessOptions } from "./_stdio.ts";
import { DenoSubprocessTransport } from "./_transport.ts";

export type { SubprocessOptions };

async function start<P extends SubprocessProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  argv: string[],
  shell: boolean,
  options: SubprocessOptions,
): Promise<[SubprocessTransport, P]> {
  if (typeof protocolFactory !== "function") {
    throw new TypeError("protocolFactory must be a function returning a SubprocessProtocol");
  }
  const plan = planSpawn(argv, shell, options);
  const protocol = protocolFactory();
  const waiter = loop.createFuture<void>();
  const transport = new DenoSubprocessTransport(loop, protocol, plan, waiter);
  try {
    await waiter;
  } catch (error) {
    // Cancelled while the pipes were connecting: kill the child and wait
    // until it is gone, as asyncio does.
    transport.close();
    await transport._wait();
    throw error;
  }
  return [transport, protocol];
}

/**
 * `loop.subprocessExec(protocolFactory, program, ...args, options)`: runs
 * `program` (looked up in `PATH`, never through a shell) and connects its
 * stdio to a `SubprocessProtocol`. Omitted stdio options are `PIPE`, as in
 * Python; `null` inherits the parent's. Use it through the loop's method.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, SubprocessProtocol } from "@asyncio/asyncio";
 * class Collect extends SubprocessProtocol {
 *   chunks: Uint8Array[] = [];
 *   done = getRunningLoop().createFuture<void>();
 *   override pipeDataReceived(_fd: number, data: Uint8Array): void {
 *     this.chunks.push(data);
 *   }
 *   override connectionLost(): void {
 *     this.done.setResult();
 *   }
 * }
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const [transport, protocol] = await loop.subprocessExec(() => new Collect(), "echo", "hi");
 *   await protocol.done;
 *   console.log(transport.getReturncode()); // 0
 *   console.log(new TextDecoder().decode(protocol.chunks[0])); // "hi\n"
 *   transport.close();
 * });
 * ```
 */
export function subprocessExec<P extends SubprocessProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  program: string,
  args: string[],
  options: SubprocessOptions = {},
): Promise<[SubprocessTransport, P]> {
  return start(loop, protocolFactory, [program, ...args], false, options);
}

/**
 * `loop.subprocessShell(protocolFactory, cmd, options)`: runs `cmd` with
 * `/bin/sh -c` (or `options.executable`), as `subprocessExec`. Use it
 * through the loop's method.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, SubprocessProtocol } from "@asyncio/asyncio";
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const exited = loop.createFuture<void>();
 *   const [transport] = await loop.subprocessShell(
 *     () => new (class extends SubprocessProtocol {
 *       override connectionLost(): void {
 *         exited.setResult();
 *       }
 *     })(),
 *     "exit 3",
 *     { stdin: null, stdout: null, stderr: null },
 *   );
 *   await exited;
 *   console.log(transport.getReturncode()); // 3
 *   transport.close();
 * });
 * ```
 */
export function subprocessShell<P extends SubprocessProtocol>(
  loop: EventLoop,
  protocolFactory: () => P,
  cmd: string,
  options: SubprocessOptions = {},
): Promise<[SubprocessTransport, P]> {
  if (typeof cmd !== "string") {
    return Promise.reject(new TypeError("cmd must be a string"));
  }
  return start(loop, protocolFactory, [cmd], true, options);
}
