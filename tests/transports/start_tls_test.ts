// loop.startTls: upgrading a plain connection to TLS (STARTTLS), as the
// client and as the server, between two transports of this library and
// against CPython's asyncio both ways; timeouts and bad arguments.
import { getRunningLoop, NotImplementedError, Protocol, run, type Transport } from "../../mod.ts";
import { createDefaultContext, type SSLContext, type SSLObject } from "../../transports/tls.ts";
import { StreamTransport } from "../../transports/_stream_transport.ts";
import { assert, assertEquals, assertStrictEquals } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { decoder, encoder, portOf, Recorder } from "./_helpers.ts";
import { certs, clientContext, serverContext } from "./_certs.ts";

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

async function caught(fn: () => Promise<unknown>, cls: ErrorClass, text = ""): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    assert(error instanceof cls, `expected ${cls.name}, got ${error}`);
    assert(error.message.includes(text), `${JSON.stringify(text)} not in ${error.message}`);
    return error;
  }
  throw new Error(`expected a rejection with ${cls.name}`);
}

/**
 * The server side of a STARTTLS exchange: answers "OK\n" to "STARTTLS\n",
 * upgrades as the server, then echoes what arrives with a "secure: " prefix
 * (and closes at EOF).
 */
class StartTlsServer extends Recorder {
  upgraded: Transport | null = null;
  #plain = true;
  // What arrived before startTls resolved (as in asyncio, data may come first).
  #early: Uint8Array[] = [];
  readonly secure = getRunningLoop().createFuture<Transport>();

  constructor(readonly sslcontext: SSLContext) {
    super();
  }

  /** Writes to the upgraded transport, or once it is known. */
  send(data: Uint8Array): void {
    if (this.upgraded === null) this.#early.push(data);
    else this.upgraded.write(data);
  }

  override dataReceived(data: Uint8Array): void {
    if (this.#plain) {
      assertEquals(decoder.decode(data), "STARTTLS\n");
      this.#plain = false;
      this.transport.write(encoder.encode("OK\n"));
      const loop = getRunningLoop();
      loop.startTls(this.transport, this, this.sslcontext, { serverSide: true }).then(
        (transport) => {
          this.upgraded = transport;
          for (const early of this.#early.splice(0)) transport.write(early);
          this.secure.setResult(transport);
        },
        (error) => this.secure.setException(error),
      );
      return;
    }
    super.dataReceived(data);
    this.send(encoder.encode("secure: "));
    this.send(data);
  }

  override eofReceived(): boolean {
    super.eofReceived();
    return false;
  }
}

/** Sends "STARTTLS\n", and knows when "OK\n" came back. */
class StartTlsClient extends Recorder {
  readonly ok = getRunningLoop().createFuture<void>();

  override dataReceived(data: Uint8Array): void {
    if (!this.ok.done()) {
      assertEquals(decoder.decode(data), "OK\n");
      this.ok.setResult();
      return;
    }
    super.dataReceived(data);
  }
}

Deno.test("startTls: both sides of a plain connection upgrade, and the same protocols go on", async () => {
  const [serverSsl, clientSsl] = [await serverContext(), await clientContext()];
  await run(async () => {
    const loop = getRunningLoop();
    const serverProtocol = loop.createFuture<StartTlsServer>();
    const server = await loop.createServer(
      () => {
        const p = new StartTlsServer(serverSsl);
        serverProtocol.setResult(p);
        return p;
      },
      "127.0.0.1",
      0,
    );
    const [plain, client] = await loop.createConnection(
      () => new StartTlsClient(),
      "127.0.0.1",
      portOf(server),
    );
    plain.write(encoder.encode("STARTTLS\n"));
    await client.ok;
    const secure = await loop.startTls(plain, client, clientSsl, { serverHostname: "localhost" });
    assert(secure !== plain);
    assert(secure instanceof StreamTransport, "the same transport class");
    assertStrictEquals(secure.getProtocol(), client);
    assertStrictEquals(secure.getExtraInfo("sslcontext"), clientSsl);
    assertEquals(secure.getExtraInfo("peername"), plain.getExtraInfo("peername"));
    assert(secure.getExtraInfo("peercert") !== null);
    assertEquals(secure.canWriteEof(), false);
    assertEquals(client.events, ["made"], "connectionMade is not called again");

    const data = randomBytes(256 * 1024);
    secure.write(data);
    await client.receivedAtLeast(8 + data.length);
    const received = client.received();
    assertEquals(decoder.decode(received.subarray(0, 8)), "secure: ");
    const remote = await serverProtocol;
    const serverSecure = await remote.secure;
    assertEquals(serverSecure.getExtraInfo<SSLObject>("ssl_object")!.serverSide, true);
    assertEquals(await sha256(remote.received()), await sha256(data));

    secure.close();
    assertEquals(await client.lost, null);
    assertEquals(await remote.lost, null);
    assertEquals(client.events.filter((e) => e === "lost").length, 1);
    server.close();
    await server.waitClosed();
  });
});

Deno.test("startTls: a peer that never answers the ClientHello: ConnectionAborted after sslHandshakeTimeout", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const peer = loop.createFuture<Recorder>();
    const server = await loop.createServer(
      () => {
        const r = new Recorder();
        peer.setResult(r);
        return r;
      },
      "127.0.0.1",
      0,
    );
    const [plain, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    const started = loop.time();
    const error = await caught(
      () =>
        loop.startTls(plain, client, createDefaultContext(), {
          serverHostname: "localhost",
          sslHandshakeTimeout: 0.2,
        }),
      Deno.errors.ConnectionAborted,
      "0.2 seconds",
    );
    const elapsed = loop.time() - started;
    assert(elapsed >= 0.19 && elapsed < 2, `${elapsed} s: ${error.message}`);
    assert(plain.isClosing(), "the connection is aborted");
    const remote = await peer;
    await remote.lost;
    assert(remote.receivedLength > 0, "the ClientHello was sent");
    server.close();
    await server.waitClosed();
  });
});

Deno.test("startTls as the server: a client that never sends its ClientHello is dropped after the timeout", async () => {
  const serverSsl = await serverContext();
  await run(async () => {
    const loop = getRunningLoop();
    const outcome = loop.createFuture<Error>();
    class Upgrader extends Recorder {
      override dataReceived(_data: Uint8Array): void {
        loop.startTls(this.transport, this, serverSsl, {
          serverSide: true,
          sslHandshakeTimeout: 0.2,
        }).then(
          () => outcome.setException(new Error("the handshake should not complete")),
          (error) => outcome.setResult(error),
        );
      }
    }
    const server = await loop.createServer(() => new Upgrader(), "127.0.0.1", 0);
    const [plain, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    plain.write(encoder.encode("STARTTLS\n")); // and then nothing
    const error = await outcome;
    assert(error instanceof Deno.errors.ConnectionAborted, String(error));
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("startTls: bad arguments are TypeError/RangeError at the call", async () => {
  const serverSsl = await serverContext();
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Recorder(), "127.0.0.1", 0);
    const [plain, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    await caught(() => loop.startTls(plain, client, true), TypeError, "SSLContext");
    await caught(() => loop.startTls(plain, client, {}), TypeError, "SSLContext");
    await caught(
      () => loop.startTls(new Recorder() as unknown as Transport, client, createDefaultContext()),
      TypeError,
      "not supported by startTls",
    );
    // A client context checks the host name: it needs serverHostname.
    await caught(
      () => loop.startTls(plain, client, createDefaultContext()),
      RangeError,
      "checkHostname requires serverHostname",
    );
    await caught(
      () => loop.startTls(plain, client, serverSsl),
      RangeError,
      "server context",
    );
    await caught(
      () => loop.startTls(plain, client, createDefaultContext(), { serverSide: true }),
      RangeError,
      "client context",
    );
    await caught(
      () =>
        loop.startTls(plain, client, createDefaultContext(), {
          serverHostname: "localhost",
          sslHandshakeTimeout: -1,
        }),
      RangeError,
    );
    const wantsClientCerts = await serverContext();
    wantsClientCerts.verifyMode = 2;
    await caught(
      () => loop.startTls(plain, client, wantsClientCerts, { serverSide: true }),
      NotImplementedError,
    );
    assert(!plain.isClosing(), "nothing was done to the connection");
    // A pipe transport cannot be upgraded.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const [pipe] = await loop.connectWritePipe(() => new Protocol(), writable);
    await caught(
      () =>
        loop.startTls(pipe as unknown as Transport, client, createDefaultContext(), {
          serverHostname: "localhost",
        }),
      TypeError,
    );
    pipe.close();
    await readable.cancel();
    plain.close();
    await client.lost;
    server.close();
    server.closeClients();
    await server.waitClosed();
  });
});

// ---- interop with CPython: STARTTLS both ways ---------------------------------------------

const PY_STARTTLS_SERVER = `
import asyncio, json, ssl, sys
cert, key = sys.argv[1:3]
async def handle(reader, writer):
    line = await reader.readline()
    assert line == b"STARTTLS\\n", line
    writer.write(b"OK\\n")
    await writer.drain()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    await writer.start_tls(ctx)
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
`;

Deno.test("interop: startTls as the client against a CPython asyncio server that upgrades (StreamWriter.start_tls)", async () => {
  const c = await certs();
  const clientSsl = await clientContext();
  const peer = await startPython(PY_STARTTLS_SERVER, c.serverCert, c.serverKey);
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const [plain, client] = await loop.createConnection(
        () => new StartTlsClient(),
        "127.0.0.1",
        peer.ready.port as number,
      );
      plain.write(encoder.encode("STARTTLS\n"));
      await client.ok;
      const secure = await loop.startTls(plain, client, clientSsl, {
        serverHostname: "localhost",
      });
      const data = randomBytes(1024 * 1024 + 1);
      secure.write(data);
      await client.receivedAtLeast(data.length);
      assertEquals(await sha256(client.received()), await sha256(data));
      secure.close();
      assertEquals(await client.lost, null);
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

const PY_STARTTLS_CLIENT = `
import asyncio, hashlib, json, os, ssl, sys
async def main():
    port, ca = int(sys.argv[1]), sys.argv[2]
    print(json.dumps({"started": True}), flush=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"STARTTLS\\n")
    assert await reader.readexactly(3) == b"OK\\n"
    await writer.start_tls(ssl.create_default_context(cafile=ca), server_hostname="localhost")
    data = os.urandom(300000)
    writer.write(data)
    await writer.drain()
    prefix = await reader.readexactly(8)
    received = bytearray()
    while len(received) < len(data):
        chunk = await reader.read(65536)
        if not chunk:
            break
        received += chunk
    writer.close()
    await writer.wait_closed()
    print(json.dumps({"prefix": prefix.decode(), "cipher": writer.get_extra_info("cipher")[1],
                      "received": len(received)}), flush=True)
asyncio.run(main())
`;

Deno.test("interop: startTls as the server against a CPython asyncio client that upgrades", async () => {
  const c = await certs();
  const serverSsl = await serverContext();
  await run(async () => {
    const loop = getRunningLoop();
    /** Echoes in one "secure: " + data per chunk would interleave: count only. */
    class Counting extends StartTlsServer {
      #plain = true;
      #prefixed = false;
      override dataReceived(data: Uint8Array): void {
        if (this.#plain) {
          this.#plain = false;
          super.dataReceived(data);
          return;
        }
        this.chunks.push(data);
        if (!this.#prefixed) {
          this.#prefixed = true;
          this.send(encoder.encode("secure: "));
        }
        this.send(data);
      }
    }
    const serverProtocol = loop.createFuture<Counting>();
    const server = await loop.createServer(
      () => {
        const p = new Counting(serverSsl);
        serverProtocol.setResult(p);
        return p;
      },
      "127.0.0.1",
      0,
    );
    const peer = await startPython(PY_STARTTLS_CLIENT, String(portOf(server)), c.ca);
    try {
      const { code, stdout, stderr } = await peer.finished;
      assertEquals(code, 0, stderr);
      const info = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assertEquals(info.prefix, "secure: ");
      assertEquals(info.received, 300000);
      assert(String(info.cipher).startsWith("TLSv1."));
      const remote = await serverProtocol;
      assertEquals(await remote.lost, null);
    } finally {
      peer.kill();
    }
    server.close();
    await server.waitClosed();
  });
});
