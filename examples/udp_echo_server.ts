/**
 * The UDP echo server of asyncio's documentation ("UDP Echo Server",
 * protocols), ported line by line.
 *
 * Run: deno run --allow-net --unstable-net examples/udp_echo_server.ts [port]
 * (the project's deno.json sets `"unstable": ["net"]`, so within the
 * project `deno run --allow-net examples/udp_echo_server.ts` is enough).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

const decoder = new TextDecoder();

export class EchoServerProtocol extends asyncio.DatagramProtocol {
  transport!: asyncio.DatagramTransport;

  override connectionMade(transport: asyncio.DatagramTransport) {
    this.transport = transport;
  }

  override datagramReceived(data: Uint8Array, addr: [string, number] | string) {
    const message = decoder.decode(data);
    console.log(`Received ${JSON.stringify(message)} from ${JSON.stringify(addr)}`);
    console.log(`Send ${JSON.stringify(message)} to ${JSON.stringify(addr)}`);
    this.transport.sendto(data, addr);
  }
}

/** Serves for an hour (or until cancelled); `ready` gets the transport once bound. */
export async function main(port = 9999, ready?: (transport: asyncio.DatagramTransport) => void) {
  console.log("Starting UDP server");

  // Get a reference to the event loop as we plan to use
  // low-level APIs.
  const loop = asyncio.getRunningLoop();

  // One protocol instance will be created to serve all
  // client requests.
  const [transport] = await loop.createDatagramEndpoint(
    () => new EchoServerProtocol(),
    { localAddr: ["127.0.0.1", port] },
  );
  ready?.(transport);

  try {
    await asyncio.sleep(3600); // Serve for 1 hour.
  } finally {
    transport.close();
  }
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 9999)));
}
