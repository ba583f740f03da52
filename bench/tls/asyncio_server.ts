/**
 * The TLS echo server of the TLS benchmark on this library:
 * `loop.createServer(..., { ssl })` and a `Protocol` that writes back what
 * it receives.
 *
 * ```sh
 * deno run -A bench/tls/asyncio_server.ts --cert=server.pem --key=server.key [--port=N]
 * ```
 *
 * Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it with
 * exit code 0, so that `--cpu-prof` writes its profile.
 *
 * @module
 */
import * as asyncio from "../../mod.ts";
import { createDefaultContext, Purpose } from "../../transports/tls.ts";
import { EchoProtocol } from "../echo/asyncio_server.ts";
import { parseTlsServerArgs } from "./_args.ts";

async function main(): Promise<void> {
  const { port, cert, key } = parseTlsServerArgs(Deno.args);
  const ssl = createDefaultContext(Purpose.CLIENT_AUTH);
  ssl.loadCertChain(cert, key);
  const loop = asyncio.getRunningLoop();
  const server = await loop.createServer(() => new EchoProtocol(), "127.0.0.1", port, { ssl });
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
