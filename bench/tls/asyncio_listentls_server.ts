/**
 * The design the library did not take, measured for the record: this
 * library's stream transport directly over `Deno.listenTls` connections
 * (each `Deno.TlsConn` as the transport's channel, without `closeWrite`).
 * It cannot drop a client stuck in its handshake, nor set TCP_NODELAY, nor
 * report the peer's certificate; the benchmark shows what it would cost or
 * gain on the data path.
 *
 * ```sh
 * deno run -A bench/tls/asyncio_listentls_server.ts --cert=server.pem --key=server.key
 * ```
 *
 * @module
 */
import * as asyncio from "../../mod.ts";
import { StreamTransport } from "../../transports/_stream_transport.ts";
import { EchoProtocol } from "../echo/asyncio_server.ts";
import { parseTlsServerArgs } from "./_args.ts";

async function main(): Promise<void> {
  const { port, cert, key } = parseTlsServerArgs(Deno.args);
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: Deno.readTextFileSync(cert),
    key: Deno.readTextFileSync(key),
  });
  console.log(`LISTENING ${(listener.addr as Deno.NetAddr).port}`);
  const loop = asyncio.getRunningLoop();
  for await (const conn of listener) {
    const channel = {
      read: (buffer: Uint8Array) => conn.read(buffer),
      write: (data: Uint8Array) => conn.write(data),
      close: () => conn.close(),
    };
    new StreamTransport(loop, channel, new EchoProtocol());
  }
}

if (import.meta.main) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => Deno.exit(0));
  }
  await asyncio.run(main);
}
