/**
 * This library's UDP echo server for the UDP benchmark:
 * `loop.createDatagramEndpoint` and a `DatagramProtocol` that sends every
 * datagram back to its sender.
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/udp/asyncio_server.ts [--port=N]
 * ```
 *
 * Prints `LISTENING <port>` once bound; SIGTERM or SIGINT ends it.
 *
 * @module
 */
import * as asyncio from "../../mod.ts";
import { parsePort } from "./_args.ts";

class EchoServerProtocol extends asyncio.DatagramProtocol {
  transport!: asyncio.DatagramTransport;

  override connectionMade(transport: asyncio.DatagramTransport): void {
    this.transport = transport;
  }

  override datagramReceived(data: Uint8Array, addr: [string, number] | string): void {
    this.transport.sendto(data, addr);
  }
}

async function main(port: number): Promise<void> {
  const loop = asyncio.getRunningLoop();
  const stop = loop.createFuture<void>();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    loop.addSignalHandler(signal, () => stop.done() || stop.setResult());
  }
  const [transport] = await loop.createDatagramEndpoint(() => new EchoServerProtocol(), {
    localAddr: ["127.0.0.1", port],
  });
  console.log(`LISTENING ${transport.getExtraInfo<[string, number]>("sockname")![1]}`);
  try {
    await stop;
  } finally {
    transport.close();
  }
}

await asyncio.run(() => main(parsePort(Deno.args)));
