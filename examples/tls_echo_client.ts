/**
 * The streams echo client of asyncio's documentation ("TCP echo client
 * using streams"), over TLS: `openConnection(..., { ssl })` with a context
 * that trusts the certificate examples/tls_echo_server.ts printed.
 *
 * Run: deno run --allow-net --allow-read examples/tls_echo_client.ts PORT CERTFILE
 *
 * @module
 */
import * as asyncio from "../mod.ts";

/** Sends `message` to the TLS echo server on `port`, trusting `cafile` only. */
export async function tlsEchoClient(message: string, port: number, cafile: string) {
  const ssl = asyncio.createDefaultContext(asyncio.Purpose.SERVER_AUTH, { cafile });
  const [reader, writer] = await asyncio.openConnection("localhost", port, { ssl });

  const cert = writer.getExtraInfo<asyncio.PeerCertificate>("peercert")!;
  console.log(`Server certificate: ${JSON.stringify(cert.subject)}`);
  console.log(`TLS version: ${writer.getExtraInfo<asyncio.SSLObject>("ssl_object")!.version()}`);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(new TextEncoder().encode(message));
  await writer.drain();

  const data = await reader.read(100);
  console.log(`Received: ${JSON.stringify(new TextDecoder().decode(data))}`);

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

/** Runs the client against the server on `port` whose certificate is `cafile`. */
export async function main(port: number, cafile: string) {
  await tlsEchoClient("Hello World!", port, cafile);
}

if (import.meta.main) {
  const [port, cafile] = Deno.args;
  if (!port || !cafile) {
    console.error("usage: tls_echo_client.ts PORT CERTFILE (both printed by tls_echo_server.ts)");
    Deno.exit(2);
  }
  await asyncio.run(() => main(Number(port), cafile));
}
