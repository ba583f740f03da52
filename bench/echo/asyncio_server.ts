/**
 * The echo server of the echo benchmark on this library: `loop.createServer`
 * and a `Protocol` that writes back what it receives. With `--sink` it only
 * counts what it receives and, at EOF, answers the count and closes.
 *
 * ```sh
 * deno run -A bench/echo/asyncio_server.ts [--port=N] [--sink]
 * ```
 *
 * Prints `LISTENING <port>` once it listens (port 0, the default, lets the
 * system choose); SIGTERM or SIGINT ends it with exit code 0, so that
 * `--cpu-prof` writes its profile.
 *
 * @module
 */
import * as asyncio from "../../mod.ts";
import { parseServerArgs } from "./_args.ts";

/** Writes back every chunk it receives. */
export class EchoProtocol extends asyncio.Protocol {
  transport!: asyncio.Transport;

  override connectionMade(transport: asyncio.Transport): void {
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** Counts what it receives; at EOF answers the count and closes. */
export class SinkProtocol extends asyncio.Protocol {
  transport!: asyncio.Transport;
  count = 0;

  override connectionMade(transport: asyncio.Transport): void {
    this.transport = transport;
  }

  override dataReceived(data: Uint8Array): void {
    this.count += data.length;
  }

  override eofReceived(): boolean {
    this.transport.write(new TextEncoder().encode(`${this.count}\n`));
    return false; // close once the answer is written
  }
}

async function main(): Promise<void> {
  const { port, sink } = parseServerArgs(Deno.args);
  const loop = asyncio.getRunningLoop();
  const server = await loop.createServer(
    sink ? () => new SinkProtocol() : () => new EchoProtocol(),
    "127.0.0.1",
    port,
  );
  const [, bound] = server.sockets[0].getsockname() as [string, number];
  console.log(`LISTENING ${bound}`);
  await server.serveForever();
}

if (import.meta.main) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => Deno.exit(0));
  }
  await asyncio.run(main);
}
