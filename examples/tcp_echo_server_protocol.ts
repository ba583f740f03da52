/**
 * The TCP echo server of asyncio's documentation ("TCP Echo Server",
 * protocols), ported line by line.
 *
 * Run: deno run --allow-net examples/tcp_echo_server_protocol.ts [port]
 *
 * @module
 */
import * as asyncio from "../mod.ts";

const decoder = new TextDecoder();

export class EchoServerProtocol extends asyncio.Protocol {
  transport!: asyncio.Transport;

  override connectionMade(transport: asyncio.Transport) {
    const peername = transport.getExtraInfo("peername");
    console.log(`Connection from ${JSON.stringify(peername)}`);
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array) {
    const message = decoder.decode(data);
    console.log(`Data received: ${JSON.stringify(message)}`);

    console.log(`Send: ${JSON.stringify(message)}`);
    this.transport.write(data);

    console.log("Close the client socket");
    this.transport.close();
  }
}

/** Serves until cancelled; `ready` gets the server once it listens. */
export async function main(port = 8888, ready?: (server: asyncio.Server) => void) {
  // Get a reference to the event loop as we plan to use
  // low-level APIs.
  const loop = asyncio.getRunningLoop();

  await using server = await loop.createServer(
    () => new EchoServerProtocol(),
    "127.0.0.1",
    port,
  );
  ready?.(server);

  await server.serveForever();
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 8888)));
}
