/**
 * The TCP echo client of asyncio's documentation ("TCP Echo Client",
 * protocols), ported line by line.
 *
 * Run: deno run --allow-net examples/tcp_echo_client_protocol.ts [port]
 *
 * @module
 */
import * as asyncio from "../mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EchoClientProtocol extends asyncio.Protocol {
  constructor(public message: string, public onConLost: asyncio.Future<boolean>) {
    super();
  }

  override connectionMade(transport: asyncio.Transport) {
    transport.write(encoder.encode(this.message));
    console.log(`Data sent: ${JSON.stringify(this.message)}`);
  }

  override dataReceived(data: Uint8Array) {
    console.log(`Data received: ${JSON.stringify(decoder.decode(data))}`);
  }

  override connectionLost(_exc: Error | null) {
    console.log("The server closed the connection");
    this.onConLost.setResult(true);
  }
}

export async function main(port = 8888) {
  // Get a reference to the event loop as we plan to use
  // low-level APIs.
  const loop = asyncio.getRunningLoop();

  const onConLost = loop.createFuture<boolean>();
  const message = "Hello World!";

  const [transport] = await loop.createConnection(
    () => new EchoClientProtocol(message, onConLost),
    "127.0.0.1",
    port,
  );

  // Wait until the protocol signals that the connection
  // is lost and close the transport.
  try {
    await onConLost;
  } finally {
    transport.close();
  }
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 8888)));
}
