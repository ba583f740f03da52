/**
 * The raw Deno UDP echo server of the UDP benchmark, the baseline:
 * `Deno.listenDatagram` and a loop of `receive` into a 64 KiB buffer and
 * `send` of the datagram back to its sender. By default each send is
 * awaited before the next receive (the plain loop); with `--pipelined` the
 * loop receives on while the sends go out one after the other (a promise
 * chain, since concurrent sends on one socket are reordered).
 *
 * ```sh
 * deno run --allow-net --unstable-net bench/udp/raw_deno_server.ts [--port=N] [--pipelined]
 * ```
 *
 * Prints `LISTENING <port>` once bound; SIGTERM or SIGINT ends it.
 *
 * @module
 */
import { parsePort } from "./_args.ts";

const pipelined = Deno.args.includes("--pipelined");
const conn = Deno.listenDatagram({
  transport: "udp",
  hostname: "127.0.0.1",
  port: parsePort(Deno.args.filter((a) => a !== "--pipelined")),
});
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => conn.close());
}
console.log(`LISTENING ${(conn.addr as Deno.NetAddr).port}`);
const buffer = new Uint8Array(65536);
const ignore = () => {};
try {
  if (pipelined) {
    let chain: Promise<unknown> = Promise.resolve();
    for (;;) {
      const [data, from] = await conn.receive(buffer);
      const copy = data.slice();
      chain = chain.then(() => conn.send(copy, from)).catch(ignore);
    }
  } else {
    for (;;) {
      const [data, from] = await conn.receive(buffer);
      await conn.send(data, from);
    }
  }
} catch (error) {
  if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
    throw error;
  }
}
Deno.exit(0);
