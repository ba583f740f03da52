/**
 * The "Watch a file descriptor for read events" example of asyncio's
 * documentation (event loop, examples), ported line by line as far as Deno
 * allows: Deno exposes no file descriptors, so `loop.addReader` throws
 * `NotImplementedError` (the port prints its message), and the same job is
 * done the Deno way: a task waits for the data with `loop.sockRecv` on the
 * socketpair, prints it and stops the loop.
 *
 * Other differences: `socketpair()` returns a promise (Deno's connect and
 * accept are asynchronous), and Python's synchronous `wsock.send(data)`
 * has no form here: `loop.sockSendall(wsock, data)`, in a task, sends it.
 *
 * Run: deno run --allow-net --allow-read --allow-write examples/watch_fd_read_events.ts
 * (`socketpair()` makes its Unix socket in a temporary directory).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

export async function main(): Promise<void> {
  // Create a pair of connected file descriptors
  const [rsock, wsock] = await asyncio.socketpair();

  const loop = asyncio.newEventLoop();

  function reader() {
    // Python reads here with rsock.recv(100), which has no synchronous form
    // on Deno; the loop never calls this callback anyway (see below).
    loop.stop();
  }

  // Register the file descriptor for read event
  try {
    loop.addReader(rsock, reader);
  } catch (e) {
    if (!(e instanceof asyncio.NotImplementedError)) throw e;
    console.log(`loop.addReader() raised NotImplementedError: ${e.message}`);

    // The Deno way: a task that waits until rsock received some data.
    loop.createTask(async () => {
      const data = await loop.sockRecv(rsock, 100);
      console.log("Received:", new TextDecoder().decode(data));

      // We are done: nothing to unregister.

      // Stop the event loop
      loop.stop();
    });
  }

  // Simulate the reception of data from the network
  // (Python: loop.call_soon(wsock.send, 'abc'.encode()); a send is a
  // coroutine here, so it runs as a task, which starts as soon as a
  // callSoon callback would).
  loop.createTask(() => loop.sockSendall(wsock, new TextEncoder().encode("abc")));

  try {
    // Run the event loop
    await loop.runForever();
  } finally {
    // We are done. Close sockets and the event loop.
    rsock.close();
    wsock.close();
    loop.close();
  }
}

if (import.meta.main) {
  await main();
}
