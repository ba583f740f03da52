/**
 * The "Hello World with call_soon()" example of asyncio's documentation
 * (event loop, examples), ported line by line: a callback scheduled with
 * `callSoon` prints "Hello World" and stops the loop. Python's blocking
 * `loop.run_forever()` is `await loop.runForever()`, which settles once
 * `loop.stop()` was called.
 *
 * Run: deno run examples/hello_world_call_soon.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";

/** A callback to print 'Hello World' and stop the event loop */
function helloWorld(loop: asyncio.EventLoop) {
  console.log("Hello World");
  loop.stop();
}

export async function main(): Promise<void> {
  const loop = asyncio.newEventLoop();

  // Schedule a call to hello_world()
  loop.callSoon(helloWorld, loop);

  // Blocking call interrupted by loop.stop()
  try {
    await loop.runForever();
  } finally {
    loop.close();
  }
}

if (import.meta.main) {
  await main();
}
