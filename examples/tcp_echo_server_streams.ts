/**
 * The streams echo server of asyncio's documentation ("TCP echo server
 * using streams"), ported line by line.
 *
 * Run: deno run --allow-net examples/tcp_echo_server_streams.ts [port]
 *
 * @module
 */
import * as asyncio from "../mod.ts";

async function handleEcho(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
  const data = await reader.read(100);
  const message = new TextDecoder().decode(data);
  const addr = writer.getExtraInfo("peername");

  console.log(`Received ${JSON.stringify(message)} from ${JSON.stringify(addr)}`);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(data);
  await writer.drain();

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

/** Serves until cancelled; `ready` gets the server once it listens. */
export async function main(port = 8888, ready?: (server: asyncio.Server) => void) {
  const server = await asyncio.startServer(handleEcho, "127.0.0.1", port);

  const addrs = server.sockets.map((sock) => JSON.stringify(sock.getsockname())).join(", ");
  console.log(`Serving on ${addrs}`);
  ready?.(server);

  await using _ = server;
  await server.serveForever();
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 8888)));
}
