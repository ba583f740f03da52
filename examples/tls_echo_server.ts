/**
 * The streams echo server of asyncio's documentation ("TCP echo server
 * using streams"), over TLS: `startServer(..., { ssl })` with a server
 * context. The certificate (for localhost and 127.0.0.1) is made at run
 * time with Web Crypto and written to a temporary directory, whose path the
 * server prints for the client to trust (examples/tls_echo_client.ts).
 *
 * Run: deno run --allow-net --allow-read --allow-write examples/tls_echo_server.ts [port]
 *
 * @module
 */
import * as asyncio from "../mod.ts";

async function handleEcho(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
  const data = await reader.read(100);
  const message = new TextDecoder().decode(data);
  const addr = writer.getExtraInfo("peername");
  const [cipher, version] = writer.getExtraInfo<[string, string, number]>("cipher")!;

  console.log(`Received ${JSON.stringify(message)} from ${JSON.stringify(addr)} (${version})`);
  console.log(`Cipher: ${cipher}`);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(data);
  await writer.drain();

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

/**
 * Serves until cancelled. `ready` gets the server and the certificate's
 * path once it listens.
 */
export async function main(
  port = 8888,
  ready?: (server: asyncio.Server, certfile: string) => void,
) {
  const dir = await Deno.makeTempDir({ prefix: "tls-echo-" });
  try {
    const { certfile, keyfile } = await writeSelfSignedCertificate(dir, ["localhost", "127.0.0.1"]);
    const ssl = asyncio.createDefaultContext(asyncio.Purpose.CLIENT_AUTH);
    ssl.loadCertChain(certfile, keyfile);

    const server = await asyncio.startServer(handleEcho, "127.0.0.1", port, { ssl });
    const addrs = server.sockets.map((sock) => JSON.stringify(sock.getsockname())).join(", ");
    console.log(`Serving on ${addrs}`);
    console.log(`Certificate: ${certfile}`);
    ready?.(server, certfile);

    await using _ = server;
    await server.serveForever();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// ---- a self-signed certificate with Web Crypto -------------------------------------------

/** A PEM certificate and its PEM (PKCS #8) private key. */
export interface SelfSigned {
  cert: string;
  key: string;
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function der(tag: number, ...parts: (Uint8Array | number[])[]): Uint8Array<ArrayBuffer> {
  const body = parts.flatMap((part) => [...part]);
  return new Uint8Array([tag, ...derLength(body.length), ...body]);
}

function derInteger(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const value = [...bytes.subarray(i)];
  return der(0x02, value[0] & 0x80 ? [0, ...value] : value);
}

const OID = {
  ecdsaWithSha256: [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
  commonName: [0x06, 0x03, 0x55, 0x04, 0x03],
  subjectAltName: [0x06, 0x03, 0x55, 0x1d, 0x11],
  basicConstraints: [0x06, 0x03, 0x55, 0x1d, 0x13],
  extKeyUsage: [0x06, 0x03, 0x55, 0x1d, 0x25],
  serverAuth: [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01],
};

function utcTime(date: Date): Uint8Array<ArrayBuffer> {
  const text = date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
  return der(0x17, new TextEncoder().encode(text));
}

function pem(label: string, data: Uint8Array): string {
  const base64 = btoa(String.fromCharCode(...data)).replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${base64.trimEnd()}\n-----END ${label}-----\n`;
}

/**
 * Makes a self-signed ECDSA P-256 certificate for `names` (host names and
 * IPv4 addresses), valid for a day, with Web Crypto.
 */
export async function selfSignedCertificate(names: string[]): Promise<SelfSigned> {
  const keys = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const name = der(
    0x30,
    der(0x31, der(0x30, OID.commonName, der(0x0c, new TextEncoder().encode(names[0])))),
  );
  const altNames = names.map((n) =>
    /^\d+\.\d+\.\d+\.\d+$/.test(n)
      ? der(0x87, n.split(".").map(Number))
      : der(0x82, new TextEncoder().encode(n))
  );
  const extension = (oid: number[], value: Uint8Array) => der(0x30, oid, der(0x04, value));
  const now = Date.now();
  const algorithm = der(0x30, OID.ecdsaWithSha256);
  const tbs = der(
    0x30,
    der(0xa0, derInteger(new Uint8Array([2]))), // version 3
    derInteger(crypto.getRandomValues(new Uint8Array(16))),
    algorithm,
    name,
    der(0x30, utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    spki,
    der(
      0xa3,
      der(
        0x30,
        extension(OID.subjectAltName, der(0x30, ...altNames)),
        extension(OID.basicConstraints, der(0x30)),
        extension(OID.extKeyUsage, der(0x30, OID.serverAuth)),
      ),
    ),
  );
  // Web Crypto signs as r || s; X.509 wants SEQUENCE { r, s }.
  const signature = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, keys.privateKey, tbs),
  );
  const ecdsa = der(
    0x30,
    derInteger(signature.subarray(0, 32)),
    derInteger(signature.subarray(32)),
  );
  const certificate = der(0x30, tbs, algorithm, der(0x03, [0], ecdsa));
  return { cert: pem("CERTIFICATE", certificate), key: pem("PRIVATE KEY", pkcs8) };
}

/** Writes a self-signed certificate for `names` to `dir`: `cert.pem` and `key.pem`. */
export async function writeSelfSignedCertificate(
  dir: string,
  names: string[],
): Promise<{ certfile: string; keyfile: string }> {
  const { cert, key } = await selfSignedCertificate(names);
  const certfile = `${dir}/cert.pem`;
  const keyfile = `${dir}/key.pem`;
  await Deno.writeTextFile(certfile, cert);
  await Deno.writeTextFile(keyfile, key, { mode: 0o600 });
  return { certfile, keyfile };
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 8888)));
}
