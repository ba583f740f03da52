/**
 * The raw Deno TLS echo server of the TLS benchmark: `Deno.listenTls`, each
 * connection a loop of `conn.read` and `conn.write` on one buffer.
 *
 * ```sh
 * deno run -A bench/tls/raw_deno_server.ts --cert=server.pem --key=server.key [--port=N]
 * ```
 *
 * Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
 *
 * @module
 */
import { parseTlsServerArgs } from "./_args.ts";

async function serve(conn: Deno.TlsConn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null) break;
      let offset = 0;
      while (offset < n) offset += await conn.write(buffer.subarray(offset, n));
    }
  } catch {
    // The client went away.
  }
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

if (import.meta.main) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => Deno.exit(0));
  }
  const { port, cert, key } = parseTlsServerArgs(Deno.args);
  const listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port,
    cert: Deno.readTextFileSync(cert),
    key: Deno.readTextFileSync(key),
  });
  console.log(`LISTENING ${(listener.addr as Deno.NetAddr).port}`);
  for await (const conn of listener) serve(conn);
}
