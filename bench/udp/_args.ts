/**
 * The command line of the UDP benchmark's Deno servers: `--port=N` (0, a
 * free port, by default).
 *
 * @module
 */

/** The port of `--port=N`, or 0. */
export function parsePort(args: string[]): number {
  let port = 0;
  for (const arg of args) {
    const match = /^--port=(\d+)$/.exec(arg);
    if (match === null) {
      console.error(`usage: [--port=N] (got ${arg})`);
      Deno.exit(2);
    }
    port = Number(match[1]);
  }
  return port;
}
