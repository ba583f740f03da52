/**
 * The UDP echo client of asyncio's documentation ("UDP Echo Client",
 * protocols), ported line by line.
 *
 * Run: deno run --allow-net --unstable-net examples/udp_echo_client.ts [port]
 * (the project's deno.json sets `"unstable": ["net"]`, so within the
 * project `deno run --allow-net examples/udp_echo_client.ts` is enough).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EchoClientProtocol extends asyncio.DatagramProtocol {
  transport: asyncio.DatagramTransport | null = null;

  constructor(public message: string, public onConLost: asyncio.Future<boolean>) {
    super();
  }

  override connectionMade(transport: asyncio.DatagramTransport) {
    this.transport = transport;
    console.log("Send:", this.message);
    this.transport.sendto(encoder.encode(this.message));
  }

  override datagramReceived(data: Uint8Array, _addr: [string, number] | string) {
    console.log("Received:", decoder.decode(data));

    console.log("Close the socket");
    this.transport!.close();
  }

  override errorReceived(exc: Error) {
    console.log("Error received:", exc);
  }

  override connectionLost(_exc: Error | null) {
    console.log("Connection closed");
    this.onConLost.setResult(true);
  }
}

export async function main(port = 9999) {
  // Get a reference to the event loop as we plan to use
  // low-level APIs.
  const loop = asyncio.getRunningLoop();

  const onConLost = loop.createFuture<boolean>();
  const message = "Hello World!";

  const [transport] = await loop.createDatagramEndpoint(
    () => new EchoClientProtocol(message, onConLost),
    { remoteAddr: ["127.0.0.1", port] },
  );

  try {
    await onConLost;
  } finally {
    transport.close();
  }
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 9999)));
}
