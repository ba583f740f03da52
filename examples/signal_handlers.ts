/**
 * The "Set signal handlers for SIGINT and SIGTERM" example of asyncio's
 * documentation (event loop, examples; Unix only), ported line by line.
 * Signals are named by their strings (`"SIGINT"`, where Python writes
 * `getattr(signal, signame)`), and `functools.partial(ask_exit, signame,
 * loop)` is `askExit.bind(null, signame, loop)`.
 *
 * Run: deno run examples/signal_handlers.ts
 * then press Ctrl+C, or `kill -TERM <pid>`.
 *
 * As in Python, `loop.stop()` stops the loop under `asyncio.run()` before
 * `main()` is done, so after "got signal SIGTERM: exit" the program ends
 * with `RuntimeError: Event loop stopped before Future completed.` (Python
 * prints its traceback, Deno its uncaught error; both exit with status 1).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

function askExit(signame: string, loop: asyncio.EventLoop) {
  console.log(`got signal ${signame}: exit`);
  loop.stop();
}

async function main() {
  const loop = asyncio.getRunningLoop();

  for (const signame of new Set(["SIGINT", "SIGTERM"] as const)) {
    loop.addSignalHandler(
      signame,
      askExit.bind(null, signame, loop),
    );
  }

  await asyncio.sleep(3600);
}

console.log("Event loop running for 1 hour, press Ctrl+C to interrupt.");
console.log(`pid ${Deno.pid}: send SIGINT or SIGTERM to exit.`);

await asyncio.run(main);
