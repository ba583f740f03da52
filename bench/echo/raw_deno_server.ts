/**
 * The raw Deno echo server of the echo benchmark, the baseline: `Deno.listen`
 * and, per connection, a loop of `conn.read` into a 64 KiB buffer and
 * `conn.write` of what was read. With `--sink` it only counts what it
 * receives and, at EOF, answers the count and closes.
 *
 * ```sh
 * deno run -A bench/echo/raw_deno_server.ts [--port=N] [--sink]
 * ```
 *
 * Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
 *
 * @module
 */
import { parseServerArgs } from "./_args.ts";

const BUFFER_SIZE = 64 * 1024;

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += await conn.write(data.subarray(offset));
}

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(BUFFER_SIZE);
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return;
    await writeAll(conn, buffer.subarray(0, n));
  }
}

async function sink(conn: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(BUFFER_SIZE);
  let count = 0;
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) break;
    count += n;
  }
  await writeAll(conn, new TextEncoder().encode(`${count}\n`));
}

async function serve(conn: Deno.TcpConn, handler: (conn: Deno.TcpConn) => Promise<void>) {
  try {
    conn.setNoDelay(true);
    await handler(conn);
  } catch (error) {
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      console.error(error);
    }
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

if (import.meta.main) {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(signal, () => Deno.exit(0));
  }
  const args = parseServerArgs(Deno.args);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: args.port });
  console.log(`LISTENING ${listener.addr.port}`);
  const handler = args.sink ? sink : echo;
  for await (const conn of listener) serve(conn, handler);
}
