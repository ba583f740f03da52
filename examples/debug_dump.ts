/**
 * Understanding a hung program: in debug mode every await records where its
 * task is suspended, and a `SIGUSR1` handler prints the call graph of every
 * pending task (Python 3.14's `asyncio.print_call_graph`, for all tasks).
 *
 * The program below never finishes: one worker waits for an event nobody
 * sets, another for a lock the first holds. Send it `kill -USR1 <pid>` to
 * see who waits on what, and `kill -TERM <pid>` to stop it.
 *
 * Run: deno run examples/debug_dump.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";

async function holdLockAndWait(lock: asyncio.Lock, ready: asyncio.Event) {
  await lock.acquire();
  try {
    await ready.wait(); // never set: the hang
  } finally {
    lock.release();
  }
}

async function needLock(lock: asyncio.Lock) {
  await lock.acquire();
  lock.release();
}

async function main() {
  const loop = asyncio.getRunningLoop();
  const stopped = loop.createFuture<void>();
  loop.addSignalHandler("SIGUSR1", () => {
    console.log("--- every pending task ---");
    console.log(asyncio.formatAllCallGraphs());
    console.log("--- end ---");
  });
  loop.addSignalHandler("SIGTERM", () => stopped.setResult());

  const lock = new asyncio.Lock();
  const ready = new asyncio.Event();
  const tasks = asyncio.gather(
    () => holdLockAndWait(lock, ready),
    () => needLock(lock),
  );
  console.log(`pid ${Deno.pid}: send SIGUSR1 for a dump, SIGTERM to stop`);
  await stopped;
  tasks.cancel();
  await asyncio.gather(tasks, { returnExceptions: true });
  console.log("stopped");
}

await asyncio.run(main, { debug: true });
