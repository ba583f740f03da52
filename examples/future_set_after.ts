/**
 * The set_after example of asyncio's documentation (futures): a task sets
 * the result of a future made by `loop.createFuture()` after a delay, and
 * `main` waits for it. Ported line by line.
 *
 * Run: deno run examples/future_set_after.ts [delay]
 *
 * `delay` is in seconds, 1 by default as in the documentation.
 *
 * @module
 */
import * as asyncio from "../mod.ts";

async function setAfter(fut: asyncio.Future<string>, delay: number, value: string) {
  // Sleep for *delay* seconds.
  await asyncio.sleep(delay);

  // Set *value* as a result of *fut* Future.
  fut.setResult(value);
}

export async function main(delay = 1): Promise<void> {
  // Get the current event loop.
  const loop = asyncio.getRunningLoop();

  // Create a new Future object.
  const fut = loop.createFuture<string>();

  // Run "set_after()" coroutine in a parallel Task.
  // We are using the low-level "loop.create_task()" API here because
  // we already have a reference to the event loop at hand.
  // Otherwise we could have just used "asyncio.create_task()".
  loop.createTask(
    () => setAfter(fut, delay, "... world"),
  );

  console.log("hello ...");

  // Wait until *fut* has a result (1 second) and print it.
  console.log(await fut);
}

if (import.meta.main) {
  const delay = Number(Deno.args[0] ?? 1);
  if (!(delay >= 0)) throw new RangeError(`delay must be a number >= 0, got ${Deno.args[0]}`);
  await asyncio.run(() => main(delay));
}
