/**
 * A reference server of the TLS benchmark, for the design the library did
 * not take: node:tls running natively on a `Deno.listen` connection's TCP
 * socket (`process.binding("tcp_wrap").TCP`'s `openFromRid()` opens a
 * node:net handle on the same socket), so that no ciphertext passes
 * through JavaScript. Measured on Deno 2.9.6, its writes complete at once
 * whatever the peer reads, so a transport on it could not honour
 * `pauseWriting()`, nor flush on `close()` within `sslShutdownTimeout`.
 *
 * ```sh
 * deno run -A bench/tls/node_tls_native_server.ts --cert=server.pem --key=server.key [--port=N]
 * ```
 *
 * Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
 *
 * @module
 */
import net from "node:net";
import process from "node:process";
import tls from "node:tls";
import { parseTlsServerArgs } from "./_args.ts";

interface TcpHandle {
  openFromRid(rid: number): number;
}
const { TCP } = (process as unknown as {
  binding(name: string): { TCP: new (type: number) => TcpHandle };
}).binding("tcp_wrap");

function resourceId(conn: Deno.Conn): number {
  const symbol = Object.getOwnPropertySymbols(conn).find((s) =>
    s.description === "Deno.internal.rid"
  );
  return (conn as unknown as Record<symbol, number>)[symbol!];
}

function serve(conn: Deno.TcpConn, secureContext: tls.SecureContext): void {
  conn.setNoDelay(true);
  const handle = new TCP(0); // SOCKET
  if (handle.openFromRid(resourceId(conn)) !== 0) throw new Error("openFromRid failed");
  const tcp = new net.Socket({ handle } as net.SocketConstructorOpts);
  const socket = new tls.TLSSocket(tcp, { isServer: true, secureContext });
  socket.on("data", (data: Uint8Array) => socket.write(data));
  socket.on("error", () => socket.destroy());
  socket.on("end", () => socket.end());
  // The handle has a descriptor of its own: both must be closed.
  socket.on("close", () => {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  });
}

if (import.meta.main) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => Deno.exit(0));
  }
  const { port, cert, key } = parseTlsServerArgs(Deno.args);
  const secureContext = tls.createSecureContext({
    cert: Deno.readTextFileSync(cert),
    key: Deno.readTextFileSync(key),
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  console.log(`LISTENING ${(listener.addr as Deno.NetAddr).port}`);
  for await (const conn of listener) serve(conn as Deno.TcpConn, secureContext);
}
