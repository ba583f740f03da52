/**
 * A reference server of the TLS benchmark: what node:tls costs over a
 * connection's bytes with no transports around it. `Deno.listen`, each
 * connection a `conn.read` loop feeding a minimal stream object (what
 * node:tls's JSStreamSocket uses of a Duplex), a `tls.TLSSocket` over it
 * that writes back what it receives, and the ciphertext written straight
 * to `conn.write`. The library's TLS layer does the same with its
 * transports around it: the difference is their cost.
 *
 * ```sh
 * deno run -A bench/tls/node_tls_wire_server.ts --cert=server.pem --key=server.key [--port=N]
 * ```
 *
 * Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import tls from "node:tls";
import { parseTlsServerArgs } from "./_args.ts";

type Callback = (error?: Error | null) => void;

function serve(conn: Deno.TcpConn, secureContext: tls.SecureContext): void {
  conn.setNoDelay(true);
  const wire = new EventEmitter();
  let writing = false;
  let pending: Uint8Array[] = [];
  const send = async (first: Uint8Array) => {
    writing = true;
    let chunk = first;
    try {
      for (;;) {
        let offset = 0;
        while (offset < chunk.length) offset += await conn.write(chunk.subarray(offset));
        if (pending.length === 0) break;
        const size = pending.reduce((sum, c) => sum + c.length, 0);
        chunk = new Uint8Array(size);
        let at = 0;
        for (const c of pending) {
          chunk.set(c, at);
          at += c.length;
        }
        pending = [];
      }
    } catch {
      // The client went away.
    }
    writing = false;
  };
  Object.assign(wire, {
    readable: true,
    writable: true,
    allowHalfOpen: true,
    readableObjectMode: false,
    pause: () => wire,
    resume: () => wire,
    cork() {},
    uncork() {},
    setNoDelay() {},
    // node:tls hands over each ciphertext chunk fresh: no copy.
    write(chunk: Uint8Array, encoding?: unknown, callback?: Callback) {
      const cb = typeof encoding === "function" ? encoding as Callback : callback;
      if (writing) pending.push(chunk);
      else send(chunk);
      cb?.(null);
      return true;
    },
    end(callback?: () => void) {
      if (typeof callback === "function") queueMicrotask(callback);
      return wire;
    },
    destroy() {
      queueMicrotask(() => wire.emit("close"));
      return wire;
    },
  });
  const socket = new tls.TLSSocket(wire as unknown as Socket, { isServer: true, secureContext });
  socket.on("data", (data: Uint8Array) => socket.write(data));
  socket.on("error", () => socket.destroy());
  socket.on("end", () => socket.end());
  (async () => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        wire.emit("data", buffer.subarray(0, n)); // node:tls takes it at once
      }
    } catch {
      // The client went away.
    }
    wire.emit("end");
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  })();
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
