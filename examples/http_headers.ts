/**
 * The documentation's "Get HTTP headers" example (asyncio streams), ported
 * line by line: `openConnection` with `ssl` for https, a HEAD request, the
 * header lines printed.
 *
 * The machine this runs on may have no internet, so without an argument it
 * queries a local HTTPS server it starts itself (`Deno.serve` with a
 * self-signed certificate made at run time), trusting that certificate
 * only. With a URL, it queries that URL as the documentation does
 * (`ssl: true`: Deno's default roots).
 *
 * Run: deno run --allow-net examples/http_headers.ts [URL]
 *
 * @module
 */
import * as asyncio from "../mod.ts";
import { selfSignedCertificate } from "./tls_echo_server.ts";

/** Prints the headers of a HEAD request for `url`; `ssl` is for https URLs. */
export async function printHttpHeaders(url: string, ssl: asyncio.SSLContext | true = true) {
  const parsed = new URL(url);
  let reader: asyncio.StreamReader;
  let writer: asyncio.StreamWriter;
  if (parsed.protocol === "https:") {
    [reader, writer] = await asyncio.openConnection(
      parsed.hostname,
      Number(parsed.port || 443),
      { ssl },
    );
  } else {
    [reader, writer] = await asyncio.openConnection(parsed.hostname, Number(parsed.port || 80));
  }

  const query = `HEAD ${parsed.pathname || "/"} HTTP/1.0\r\n` +
    `Host: ${parsed.hostname}\r\n` +
    `\r\n`;

  writer.write(new TextEncoder().encode(query));
  for (;;) {
    const line = await reader.readline();
    if (line.length === 0) break;

    const text = new TextDecoder("latin1").decode(line).trimEnd();
    if (text) console.log(`HTTP header> ${text}`);
  }

  // Ignore the body, close the socket
  writer.close();
  await writer.waitClosed();
}

/**
 * With `url`, prints its headers; without, starts a local HTTPS server on a
 * free port and prints the headers of its `/`.
 */
export async function main(url?: string) {
  if (url !== undefined) {
    await printHttpHeaders(url);
    return;
  }
  const { cert, key } = await selfSignedCertificate(["localhost", "127.0.0.1"]);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert, key, onListen: () => {} },
    () => new Response("hello", { headers: { "x-served-by": "Deno.serve" } }),
  );
  try {
    const ssl = asyncio.createDefaultContext(asyncio.Purpose.SERVER_AUTH, { cadata: cert });
    await printHttpHeaders(`https://localhost:${server.addr.port}/`, ssl);
  } finally {
    await server.shutdown();
  }
}

if (import.meta.main) {
  await asyncio.run(() => main(Deno.args[0]));
}
