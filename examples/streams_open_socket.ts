/**
 * The "Register an open socket to wait for data using streams" example of
 * asyncio's documentation (streams, examples), ported line by line:
 * `openConnection` wraps one end of a socketpair, and the other end sends
 * the data the reader waits for.
 *
 * Differences: `socketpair()` returns a promise (Deno's connect and accept
 * are asynchronous), and Python's synchronous `wsock.send(data)` has no
 * form here: `loop.sockSendall(wsock, data)` sends it, in a task.
 *
 * Run: deno run --allow-net --allow-read --allow-write examples/streams_open_socket.ts
 * (`socketpair()` makes its Unix socket in a temporary directory).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

async function waitForData() {
  // Get a reference to the current event loop because
  // we want to access low-level APIs.
  const loop = asyncio.getRunningLoop();

  // Create a pair of connected sockets.
  const [rsock, wsock] = await asyncio.socketpair();

  // Register the open socket to wait for data.
  const [reader, writer] = await asyncio.openConnection(null, null, { sock: rsock });

  // Simulate the reception of data from the network
  // (Python: loop.call_soon(wsock.send, 'abc'.encode()); a send is a
  // coroutine here, so it runs as a task, which starts as soon as a
  // callSoon callback would).
  loop.createTask(() => loop.sockSendall(wsock, new TextEncoder().encode("abc")));

  // Wait for data
  const data = await reader.read(100);

  // Got data, we are done: close the socket
  console.log("Received:", new TextDecoder().decode(data));
  writer.close();
  await writer.waitClosed();

  // Close the second socket
  wsock.close();
}

export async function main(): Promise<void> {
  await asyncio.run(waitForData);
}

if (import.meta.main) {
  await main();
}
