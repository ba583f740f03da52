/**
 * The "Connecting Existing Sockets" example of asyncio's documentation
 * (transports and protocols, examples), ported line by line:
 * `loop.createConnection` wraps one end of a socketpair in a transport,
 * and the protocol prints what the other end sends.
 *
 * Differences: `socketpair()` returns a promise (Deno's connect and accept
 * are asynchronous), and Python's synchronous `wsock.send(data)` has no
 * form here: `loop.sockSendall(wsock, data)` sends it, in a task.
 *
 * Run: deno run --allow-net --allow-read --allow-write examples/protocol_existing_socket.ts
 * (`socketpair()` makes its Unix socket in a temporary directory).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

class MyProtocol extends asyncio.Protocol {
  transport: asyncio.Transport | null = null;

  constructor(public onConLost: asyncio.Future<boolean>) {
    super();
  }

  override connectionMade(transport: asyncio.Transport) {
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array) {
    console.log("Received:", new TextDecoder().decode(data));

    // We are done: close the transport;
    // connection_lost() will be called automatically.
    this.transport!.close();
  }

  override connectionLost(_exc: Error | null) {
    // The socket has been closed
    this.onConLost.setResult(true);
  }
}

async function main() {
  // Get a reference to the event loop as we plan to use
  // low-level APIs.
  const loop = asyncio.getRunningLoop();
  const onConLost = loop.createFuture<boolean>();

  // Create a pair of connected sockets
  const [rsock, wsock] = await asyncio.socketpair();

  // Register the socket to wait for data.
  const [transport, protocol] = await loop.createConnection(
    () => new MyProtocol(onConLost),
    null,
    null,
    { sock: rsock },
  );

  // Simulate the reception of data from the network.
  // (Python: loop.call_soon(wsock.send, 'abc'.encode()); a send is a
  // coroutine here, so it runs as a task, which starts as soon as a
  // callSoon callback would.)
  loop.createTask(() => loop.sockSendall(wsock, new TextEncoder().encode("abc")));

  try {
    await protocol.onConLost;
  } finally {
    transport.close();
    wsock.close();
  }
}

if (import.meta.main) {
  await asyncio.run(main);
}
