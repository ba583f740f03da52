/**
 * The command line of the TLS benchmark's Deno servers:
 * `--cert=PEM --key=PEM [--port=N]`.
 *
 * @module
 */

/** What a server is asked to do. */
export interface TlsServerArgs {
  /** The port to listen on (0: any free one). */
  port: number;
  /** The certificate chain (PEM file). */
  cert: string;
  /** Its private key (PEM file). */
  key: string;
}

/** Parses the arguments; exits with status 2 on anything else. */
export function parseTlsServerArgs(args: string[]): TlsServerArgs {
  let port = 0;
  let cert = "";
  let key = "";
  for (const arg of args) {
    if (arg.startsWith("--port=") && /^\d+$/.test(arg.slice(7))) port = Number(arg.slice(7));
    else if (arg.startsWith("--cert=")) cert = arg.slice(7);
    else if (arg.startsWith("--key=")) key = arg.slice(6);
    else {
      console.error(`usage: --cert=PEM --key=PEM [--port=N] (got ${arg})`);
      Deno.exit(2);
    }
  }
  if (!cert || !key) {
    console.error("usage: --cert=PEM --key=PEM [--port=N]");
    Deno.exit(2);
  }
  return { port, cert, key };
}
