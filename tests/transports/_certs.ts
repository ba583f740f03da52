// Certificates for the TLS tests, made at run time with `openssl` in a
// temporary directory: a CA, a server certificate for localhost and
// 127.0.0.1, a client certificate, a second CA that signed nothing here,
// and an expired server certificate. Made once per test process.
import { createDefaultContext, Purpose, type SSLContext } from "../../transports/tls.ts";

/** Paths of the PEM files. */
export interface Certs {
  dir: string;
  /** The CA's certificate (trust it to accept `server`). */
  ca: string;
  /** A CA that signed nothing the tests use. */
  otherCa: string;
  /** The server's certificate (localhost, 127.0.0.1), signed by `ca`. */
  serverCert: string;
  serverKey: string;
  /** The server's certificate followed by its key, in one file. */
  serverCombined: string;
  /** The server's key, encrypted with the password "secret". */
  serverKeyEncrypted: string;
  /** A client certificate signed by `ca`. */
  clientCert: string;
  clientKey: string;
  /** A certificate for localhost that expired. */
  expiredCert: string;
  expiredKey: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed:\n${new TextDecoder().decode(stderr)}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
}

async function makeLeaf(
  dir: string,
  name: string,
  cn: string,
  ext: string,
  validity: string[] = ["-days", "2"],
): Promise<void> {
  await openssl(dir, "req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", cn);
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-set_serial",
    String(Math.floor(Math.random() * 1e9)),
    "-out",
    `${name}.pem`,
    ...validity,
    "-extfile",
    `${name}.ext`,
  );
}

let made: Promise<Certs> | null = null;

/** The certificates (made on first call; the directory is removed at exit). */
export function certs(): Promise<Certs> {
  made ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "asyncio-tls-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Gone already.
      }
    });
    await makeCa(dir, "ca", "asyncio test CA");
    await makeCa(dir, "other", "asyncio other CA");
    const serverExt = "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n" +
      "extendedKeyUsage=serverAuth\n";
    await Promise.all([
      makeLeaf(dir, "server", "/CN=localhost/O=asyncio tests", serverExt),
      makeLeaf(
        dir,
        "client",
        "/CN=client",
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
      ),
      // Expired a day before it was made.
      makeLeaf(dir, "expired", "/CN=localhost", serverExt, ["-days", "-1"]),
    ]);
    await openssl(
      dir,
      "pkcs8",
      "-topk8",
      "-in",
      "server.key",
      "-out",
      "server.enc.key",
      "-passout",
      "pass:secret",
      "-v2",
      "aes-256-cbc",
    );
    const combined = (await Deno.readTextFile(`${dir}/server.pem`)) +
      (await Deno.readTextFile(`${dir}/server.key`));
    await Deno.writeTextFile(`${dir}/server.combined.pem`, combined);
    return {
      dir,
      ca: `${dir}/ca.pem`,
      otherCa: `${dir}/other.pem`,
      serverCert: `${dir}/server.pem`,
      serverKey: `${dir}/server.key`,
      serverCombined: `${dir}/server.combined.pem`,
      serverKeyEncrypted: `${dir}/server.enc.key`,
      clientCert: `${dir}/client.pem`,
      clientKey: `${dir}/client.key`,
      expiredCert: `${dir}/expired.pem`,
      expiredKey: `${dir}/expired.key`,
    };
  })();
  return made;
}

/** A server context with the test server's certificate. */
export async function serverContext(): Promise<SSLContext> {
  const c = await certs();
  const context = createDefaultContext(Purpose.CLIENT_AUTH);
  context.loadCertChain(c.serverCert, c.serverKey);
  return context;
}

/** A client context that trusts the test CA only. */
export async function clientContext(): Promise<SSLContext> {
  const c = await certs();
  return createDefaultContext(Purpose.SERVER_AUTH, { cafile: c.ca });
}
