// TLS through the streams API: openConnection/startServer with ssl,
// StreamWriter.startTls on both sides (against this library and CPython),
// and the TLS examples run as programs.
import type * as mod from "../../mod.ts";
import { openConnection, run, startServer, type StreamWriter, waitFor } from "../../mod.ts";
import {
  createDefaultContext,
  type PeerCertificate,
  type SSLContext,
  type SSLObject,
} from "../../transports/tls.ts";
import { assert, assertEquals } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { certs, clientContext, serverContext } from "../transports/_certs.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);
const text = (data: Uint8Array) => decoder.decode(data);
const portOf = (server: mod.Server) => (server.sockets[0].getsockname() as [string, number])[1];

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

async function caught(fn: () => Promise<unknown>, cls: ErrorClass): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    assert(error instanceof cls, `expected ${cls.name}, got ${error}`);
    return error;
  }
  throw new Error(`expected a rejection with ${cls.name}`);
}

Deno.test("openConnection/startServer with ssl: lines both ways, the peer's certificate, EOF at close", async () => {
  const [serverSsl, clientSsl] = [await serverContext(), await clientContext()];
  await run(async () => {
    const server = await startServer(
      async (reader, writer) => {
        for await (const line of reader) writer.write(bytes(`echo: ${text(line)}`));
        writer.close();
        await writer.waitClosed();
      },
      "127.0.0.1",
      0,
      { ssl: serverSsl },
    );
    const [reader, writer] = await openConnection("localhost", portOf(server), { ssl: clientSsl });
    assertEquals(
      writer.getExtraInfo<PeerCertificate>("peercert")!.subjectAltName,
      [["DNS", "localhost"], ["IP Address", "127.0.0.1"]],
    );
    assertEquals(writer.canWriteEof(), false);
    for (const line of ["one\n", "two\n", `${"x".repeat(50000)}\n`]) {
      writer.write(bytes(line));
      await writer.drain();
      assertEquals(text(await reader.readline()), `echo: ${line}`);
    }
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("openConnection with ssl: a server that closes first gives the reader EOF", async () => {
  const [serverSsl, clientSsl] = [await serverContext(), await clientContext()];
  await run(async () => {
    await using server = await startServer(
      async (_reader, writer) => {
        writer.write(bytes("bye\n"));
        await writer.drain();
        writer.close();
        await writer.waitClosed();
      },
      "127.0.0.1",
      0,
      { ssl: serverSsl },
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server), { ssl: clientSsl });
    assertEquals(text(await reader.read()), "bye\n");
    assertEquals((await reader.read()).length, 0);
    assert(reader.atEof());
    await writer.waitClosed();
  });
});

/** The server side of STARTTLS over streams: "STARTTLS\n" → "OK\n", upgrade, echo. */
function startTlsHandler(ssl: SSLContext, upgraded?: (writer: StreamWriter) => void) {
  return async (reader: mod.StreamReader, writer: StreamWriter) => {
    assertEquals(text(await reader.readline()), "STARTTLS\n");
    writer.write(bytes("OK\n"));
    await writer.startTls(ssl);
    upgraded?.(writer);
    for (;;) {
      const data = await reader.read(65536);
      if (data.length === 0) break;
      writer.write(data);
      await writer.drain();
    }
    writer.close();
    await writer.waitClosed();
  };
}

Deno.test("StreamWriter.startTls: the client upgrades, the server's writer upgrades as the server", async () => {
  const [serverSsl, clientSsl] = [await serverContext(), await clientContext()];
  await run(async () => {
    let serverSide: boolean | null = null;
    const server = await startServer(
      startTlsHandler(serverSsl, (writer) => {
        serverSide = writer.getExtraInfo<SSLObject>("ssl_object")!.serverSide;
      }),
      "127.0.0.1",
      0,
    );
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    const plain = writer.transport;
    writer.write(bytes("STARTTLS\n"));
    assertEquals(text(await reader.readline()), "OK\n");
    await writer.startTls(clientSsl, { serverHostname: "localhost" });
    assert(writer.transport !== plain, "the writer has the new transport");
    assert(writer.getExtraInfo("sslcontext") !== undefined);
    assertEquals(writer.getExtraInfo<SSLObject>("ssl_object")!.serverSide, false);
    const data = randomBytes(200 * 1024);
    writer.write(data);
    await writer.drain();
    const back = await reader.readexactly(data.length);
    assertEquals(await sha256(back), await sha256(data));
    assertEquals(serverSide, true);
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("StreamWriter.startTls: sslHandshakeTimeout rejects with ConnectionAborted", async () => {
  await run(async () => {
    await using server = await startServer(
      async (reader, writer) => {
        await reader.read(); // the ClientHello, never answered
        await reader.read(); // EOF once the client gives up
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    const [, writer] = await openConnection("127.0.0.1", portOf(server));
    await caught(
      () =>
        writer.startTls(createDefaultContext(), {
          serverHostname: "localhost",
          sslHandshakeTimeout: 0.2,
        }),
      Deno.errors.ConnectionAborted,
    );
    assert(writer.isClosing());
  });
});

const PY_STARTTLS_SERVER = `
import asyncio, json, ssl, sys
cert, key = sys.argv[1:3]
async def handle(reader, writer):
    assert await reader.readline() == b"STARTTLS\\n"
    writer.write(b"OK\\n")
    await writer.drain()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    await writer.start_tls(ctx)
    async for line in reader:
        writer.write(b"py: " + line)
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
`;

Deno.test("interop: StreamWriter.startTls against a CPython asyncio server that upgrades", async () => {
  const c = await certs();
  const clientSsl = await clientContext();
  const peer = await startPython(PY_STARTTLS_SERVER, c.serverCert, c.serverKey);
  try {
    await run(async () => {
      const [reader, writer] = await openConnection("127.0.0.1", peer.ready.port as number);
      writer.write(bytes("STARTTLS\n"));
      assertEquals(text(await reader.readline()), "OK\n");
      await writer.startTls(clientSsl, { serverHostname: "localhost" });
      for (const line of ["first\n", "second\n"]) {
        writer.write(bytes(line));
        assertEquals(text(await waitFor(() => reader.readline(), 5)), `py: ${line}`);
      }
      writer.close();
      await writer.waitClosed();
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

const PY_STARTTLS_CLIENT = `
import asyncio, json, ssl, sys
async def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    print(json.dumps({"started": True}), flush=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"STARTTLS\\n")
    assert await reader.readline() == b"OK\\n"
    await writer.start_tls(ssl.create_default_context(cafile=ca), server_hostname="localhost")
    writer.write(b"over tls\\n")
    echoed = await reader.readline()
    version = writer.get_extra_info("ssl_object").version()
    writer.close()
    await writer.wait_closed()
    print(json.dumps({"echoed": echoed.decode(), "version": version}), flush=True)
asyncio.run(main())
`;

Deno.test("interop: a CPython client's STARTTLS against startServer's writer upgrading as the server", async () => {
  const c = await certs();
  const serverSsl = await serverContext();
  await run(async () => {
    const server = await startServer(startTlsHandler(serverSsl), "127.0.0.1", 0);
    const peer = await startPython(PY_STARTTLS_CLIENT, String(portOf(server)), c.ca);
    try {
      const { code, stdout, stderr } = await peer.finished;
      assertEquals(code, 0, stderr);
      const info = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assertEquals(info.echoed, "over tls\n");
      assertEquals(info.version, "TLSv1.3");
    } finally {
      peer.kill();
    }
    server.close();
    await server.waitClosed();
  });
});

// ---- the examples, as programs --------------------------------------------------------

const ROOT = new URL("../..", import.meta.url).pathname;

async function runExample(...args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", ...args],
    cwd: ROOT,
    stdin: "null",
  }).output();
  const stdout = decoder.decode(output.stdout);
  assertEquals(
    output.code,
    0,
    `${args.join(" ")} failed:\n${stdout}\n${decoder.decode(output.stderr)}`,
  );
  return stdout;
}

Deno.test({
  name: "examples/http_headers.ts: HEAD over TLS against its own Deno.serve HTTPS server",
  async fn() {
    const out = await runExample("examples/http_headers.ts");
    assert(
      out.includes("HTTP header> HTTP/1.0 200 OK") || out.includes("HTTP header> HTTP/1.1 200 OK"),
      out,
    );
    assert(out.includes("HTTP header> x-served-by: Deno.serve"), out);
  },
});

Deno.test({
  name:
    "examples/tls_echo_server.ts + tls_echo_client.ts: the echo pair over TLS, as two processes",
  async fn() {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = String((probe.addr as Deno.NetAddr).port);
    probe.close();
    const server = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "examples/tls_echo_server.ts",
        port,
      ],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      let seen = "";
      while (!/Certificate: (\S+)\n/.test(seen)) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`the server exited: ${seen}`);
        seen += value;
      }
      const certfile = /Certificate: (\S+)\n/.exec(seen)![1];
      const out = await runExample("examples/tls_echo_client.ts", port, certfile);
      assert(out.includes('Received: "Hello World!"'), out);
      assert(out.includes('Server certificate: [[["commonName","localhost"]]]'), out);
    } finally {
      // SIGINT: run() cancels main, which removes its certificate directory.
      server.kill("SIGINT");
      await server.status;
      await lines.cancel();
      await server.stderr.cancel();
    }
  },
});
