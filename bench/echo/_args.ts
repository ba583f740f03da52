/**
 * The command line of the echo benchmark's Deno servers:
 * `[--port=N] [--sink]`.
 *
 * @module
 */

/** What a server is asked to do. */
export interface ServerArgs {
  /** The port to listen on (0: any free one). */
  port: number;
  /** Count what arrives instead of echoing it. */
  sink: boolean;
}

/** Parses `[--port=N] [--sink]`; exits with status 2 on anything else. */
export function parseServerArgs(args: string[]): ServerArgs {
  let port = 0;
  let sink = false;
  for (const arg of args) {
    if (arg === "--sink") sink = true;
    else if (arg.startsWith("--port=") && /^\d+$/.test(arg.slice(7))) port = Number(arg.slice(7));
    else {
      console.error(`usage: [--port=N] [--sink] (got ${arg})`);
      Deno.exit(2);
    }
  }
  return { port, sink };
}
