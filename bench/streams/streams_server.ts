/**
 * The streams echo server of the streams benchmark: `startServer` and a
 * callback that reads and writes back until EOF, with `drain()`.
 *
 * ```sh
 * deno run -A bench/streams/streams_server.ts [--port=N]
 * ```
 *
 * Prints `LISTENING <port>` once it listens; SIGTERM ends it.
 *
 * @module
 */
import * as asyncio from "../../mod.ts";
import { parseServerArgs } from "../echo/_args.ts";

async function handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
  for (;;) {
    const data = await reader.read(65536);
    if (data.length === 0) break;
    writer.write(data);
    await writer.drain();
  }
  writer.close();
}

await asyncio.run(async () => {
  const { port } = parseServerArgs(Deno.args);
  const loop = asyncio.getRunningLoop();
  const server = await asyncio.startServer(handle, "127.0.0.1", port);
  console.log(`LISTENING ${(server.sockets[0].getsockname() as [string, number])[1]}`);
  const stop = loop.createFuture<void>();
  loop.addSignalHandler("SIGTERM", () => stop.setResult());
  await stop;
  server.close();
  server.abortClients();
  await server.waitClosed();
});
