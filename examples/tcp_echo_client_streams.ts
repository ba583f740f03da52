/**
 * The streams echo client of asyncio's documentation ("TCP echo client
 * using streams"), ported line by line.
 *
 * Run: deno run --allow-net examples/tcp_echo_client_streams.ts [port]
 *
 * @module
 */
import * as asyncio from "../mod.ts";

export async function tcpEchoClient(message: string, port = 8888) {
  const [reader, writer] = await asyncio.openConnection("127.0.0.1", port);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(new TextEncoder().encode(message));
  await writer.drain();

  const data = await reader.read(100);
  console.log(`Received: ${JSON.stringify(new TextDecoder().decode(data))}`);

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

if (import.meta.main) {
  await asyncio.run(() => tcpEchoClient("Hello World!", Number(Deno.args[0] ?? 8888)));
}
