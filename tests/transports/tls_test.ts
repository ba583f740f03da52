// TLS on the connection methods: SSLContext, ssl= on createConnection,
// createServer, their Unix twins and connectAcceptedSocket, extra info,
// verification, timeouts, flow control, and interop with CPython's asyncio
// + ssl both ways. Certificates are made at run time (tests/transports/_certs.ts).
import {
  getRunningLoop,
  logger,
  NotImplementedError,
  Protocol,
  run,
  type Transport,
} from "../../mod.ts";
// The TLS names (re-exported by mod.ts as the rest of the public API).
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  createDefaultContext,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  SSLContext,
  SSLObject,
  TLSVersion,
} from "../../transports/tls.ts";
import { connectAcceptedSocket } from "../../transports/connections.ts";
import { StreamTransport } from "../../transports/_stream_transport.ts";
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { decoder, Echo, encoder, portOf, Recorder } from "./_helpers.ts";
import { certs, clientContext, serverContext } from "./_certs.ts";

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/** The error `fn` rejects with; it must be a `cls` (whose message includes `text`). */
async function caught(
  fn: () => Promise<unknown>,
  cls: ErrorClass,
  text = "",
): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    assert(error instanceof cls, `expected ${cls.name}, got ${error}`);
    assert(error.message.includes(text), `${JSON.stringify(text)} not in ${error.message}`);
    return error;
  }
  throw new Error(`expected a rejection with ${cls.name}`);
}

/** Echoes, and closes when the peer has finished (as TLS must: no half-close). */
class TlsEcho extends Echo {
  override eofReceived(): boolean {
    super.eofReceived();
    return false;
  }
}

async function tlsEchoServer(options: Record<string, unknown> = {}) {
  const loop = getRunningLoop();
  return await loop.createServer(() => new TlsEcho(), "127.0.0.1", 0, {
    ssl: await serverContext(),
    ...options,
  });
}

// ---- SSLContext ------------------------------------------------------------------------

Deno.test("SSLContext: the defaults of each purpose, and Python's rules for checkHostname and verifyMode", () => {
  const client = createDefaultContext();
  assertEquals(client.protocol, PROTOCOL_TLS_CLIENT);
  assertEquals([client.checkHostname, client.verifyMode], [true, CERT_REQUIRED]);
  const server = createDefaultContext(Purpose.CLIENT_AUTH);
  assertEquals(server.protocol, PROTOCOL_TLS_SERVER);
  assertEquals([server.checkHostname, server.verifyMode], [false, CERT_NONE]);
  assertThrows(() => createDefaultContext("nonsense" as Purpose), TypeError);
  // CERT_NONE needs checkHostname off first; checkHostname on restores CERT_REQUIRED.
  assertThrows(() => client.verifyMode = CERT_NONE, RangeError);
  client.checkHostname = false;
  client.verifyMode = CERT_NONE;
  client.checkHostname = true;
  assertEquals(client.verifyMode, CERT_REQUIRED);
  client.verifyMode = CERT_OPTIONAL;
  assertThrows(() => client.verifyMode = 7, RangeError);
  assertEquals(new SSLContext().protocol, PROTOCOL_TLS_CLIENT);
  assertThrows(() => new SSLContext(2), RangeError);
  assert(String(server).includes("server"));
});

Deno.test("SSLContext: files are read and checked when loaded", async () => {
  const c = await certs();
  const context = new SSLContext(PROTOCOL_TLS_SERVER);
  assertThrows(() => context.loadCertChain(`${c.dir}/missing.pem`), Deno.errors.NotFound);
  assertThrows(() => context.loadCertChain(c.serverKey, c.serverKey), Deno.errors.InvalidData);
  assertThrows(() => context.loadCertChain(c.serverCert), Deno.errors.InvalidData); // no key
  assertThrows(() => context.loadCertChain(c.serverCert, c.clientKey), Deno.errors.InvalidData);
  assertThrows(
    () => context.loadCertChain(c.serverCert, c.serverKeyEncrypted),
    Deno.errors.InvalidData,
  );
  assertThrows(
    () => context.loadCertChain(c.serverCert, c.serverKeyEncrypted, "wrong"),
    Deno.errors.InvalidData,
  );
  context.loadCertChain(c.serverCert, c.serverKeyEncrypted, () => "secret");
  context.loadCertChain(c.serverCombined);
  assertThrows(() => context.loadCertChain(42 as unknown as string), TypeError);

  const client = new SSLContext();
  assertThrows(() => client.loadVerifyLocations({ cafile: `${c.dir}/nope` }), Deno.errors.NotFound);
  assertThrows(() => client.loadVerifyLocations({ cafile: c.serverKey }), Deno.errors.InvalidData);
  assertThrows(() => client.loadVerifyLocations({ cadata: "not pem" }), Deno.errors.InvalidData);
  assertThrows(() => client.loadVerifyLocations({}), TypeError);
  assertThrows(() => client.loadVerifyLocations({ capath: c.dir }), NotImplementedError);
  const pem = await Deno.readTextFile(c.ca);
  client.loadVerifyLocations({ cadata: pem });
  // DER bytes, as Python takes them.
  const der = Uint8Array.from(
    atob(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")),
    (ch) => ch.charCodeAt(0),
  );
  client.loadVerifyLocations({ cadata: der });
  assertThrows(
    () => client.loadVerifyLocations({ cadata: new Uint8Array([1, 2, 3]) }),
    Deno.errors.InvalidData,
  );
  assertThrows(
    () => createDefaultContext(Purpose.SERVER_AUTH, { cafile: c.serverKey }),
    Deno.errors.InvalidData,
  );
});

Deno.test("SSLContext: ALPN lists and versions are checked; what Deno cannot do is NotImplementedError", () => {
  const context = new SSLContext();
  context.setAlpnProtocols(["h2", "http/1.1"]);
  assertThrows(() => context.setAlpnProtocols([""]), RangeError);
  assertThrows(() => context.setAlpnProtocols(["x".repeat(256)]), RangeError);
  assertThrows(() => context.setAlpnProtocols([1 as unknown as string]), TypeError);
  context.minimumVersion = TLSVersion.TLSv1_2;
  context.maximumVersion = TLSVersion.TLSv1_3;
  assertThrows(() => context.minimumVersion = TLSVersion.TLSv1, NotImplementedError);
  assertThrows(() => context.maximumVersion = TLSVersion.TLSv1_1, NotImplementedError);
  assertThrows(() => context.minimumVersion = 12345 as TLSVersion, RangeError);
});

// ---- connections ----------------------------------------------------------------------

Deno.test("ssl=: echo over TLS, with the extra info of asyncio's SSL transport", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer();
    const port = portOf(server);
    const context = await clientContext();
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      port,
      { ssl: context },
    );
    assertEquals(client.events, ["made"]);
    assert(transport instanceof StreamTransport, "the same transport class as TCP");
    assertStrictEquals(transport.getExtraInfo("sslcontext"), context);
    const sslObject = transport.getExtraInfo<SSLObject>("ssl_object")!;
    assert(sslObject instanceof SSLObject);
    assertEquals(sslObject.selectedAlpnProtocol(), null);
    assertEquals(sslObject.serverSide, false);
    assertEquals(sslObject.serverHostname, "127.0.0.1");
    assert(["TLSv1.3", "TLSv1.2"].includes(sslObject.version()!));
    const peercert = transport.getExtraInfo<Record<string, unknown>>("peercert")!;
    assertEquals(peercert.subject, [
      [["commonName", "localhost"]],
      [["organizationName", "asyncio tests"]],
    ]);
    assertEquals(peercert.issuer, [[["commonName", "asyncio test CA"]]]);
    assertEquals(peercert.subjectAltName, [["DNS", "localhost"], ["IP Address", "127.0.0.1"]]);
    assertEquals(peercert.version, 3);
    assert(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/.test(peercert.notAfter as string));
    assert(sslObject.getpeercert(true) instanceof Uint8Array);
    const [cipherName, version, bits] = transport.getExtraInfo<[string, string, number]>("cipher")!;
    assert(cipherName.length > 0 && version.startsWith("TLSv") && bits >= 128);
    assertEquals(transport.getExtraInfo("compression"), null);
    assertEquals(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
    assertEquals((transport.getExtraInfo("sockname") as [string, number])[0], "127.0.0.1");
    assert(transport.getExtraInfo("socket") !== undefined);
    assertEquals(transport.getExtraInfo("nothing", "default"), "default");
    // As asyncio's SSL transport: no half-close.
    assertEquals(transport.canWriteEof(), false);
    assertThrows(() => transport.writeEof(), NotImplementedError);

    transport.write(encoder.encode("hello over TLS"));
    await client.receivedAtLeast(14);
    assertEquals(decoder.decode(client.received()), "hello over TLS");
    transport.close();
    assertEquals(await client.lost, null);
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: the server side's transport: its extra info, and close() reaching the client", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let serverTransport: Transport | null = null;
    const made = loop.createFuture<void>();
    class Greeter extends Protocol {
      override connectionMade(transport: Transport): void {
        serverTransport = transport;
        transport.write(encoder.encode("welcome"));
        transport.close();
        made.setResult();
      }
    }
    const context = await serverContext();
    const server = await loop.createServer(() => new Greeter(), "127.0.0.1", 0, { ssl: context });
    const [, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { ssl: await clientContext() },
    );
    await made;
    const transport = serverTransport!;
    assertStrictEquals(transport.getExtraInfo("sslcontext"), context);
    assertEquals(transport.getExtraInfo("peercert"), null, "no client certificate");
    assertEquals(transport.getExtraInfo<SSLObject>("ssl_object")!.serverSide, true);
    assertEquals(transport.getExtraInfo<SSLObject>("ssl_object")!.serverHostname, null);
    assertEquals(await client.lost, null);
    assertEquals(decoder.decode(client.received()), "welcome");
    assertEquals(client.events, ["made", "data", "eof", "lost"]);
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: ALPN: the server's order of preference wins, both sides see it", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const serverSsl = await serverContext();
    serverSsl.setAlpnProtocols(["b", "a"]);
    let seen: string | null = "unset";
    class Alpn extends TlsEcho {
      override connectionMade(transport: Transport): void {
        super.connectionMade(transport);
        seen = transport.getExtraInfo<SSLObject>("ssl_object")!.selectedAlpnProtocol();
      }
    }
    const server = await loop.createServer(() => new Alpn(), "127.0.0.1", 0, { ssl: serverSsl });
    const ssl = await clientContext();
    ssl.setAlpnProtocols(["a", "b"]);
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { ssl },
    );
    assertEquals(transport.getExtraInfo<SSLObject>("ssl_object")!.selectedAlpnProtocol(), "b");
    transport.write(encoder.encode("x"));
    await client.receivedAtLeast(1);
    assertEquals(seen, "b");
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: TLS versions: maximumVersion TLS 1.2 on either side gives TLS 1.2", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    for (const side of ["client", "server"]) {
      const serverSsl = await serverContext();
      const clientSsl = await clientContext();
      (side === "client" ? clientSsl : serverSsl).maximumVersion = TLSVersion.TLSv1_2;
      const server = await loop.createServer(() => new TlsEcho(), "127.0.0.1", 0, {
        ssl: serverSsl,
      });
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        "localhost",
        portOf(server),
        { ssl: clientSsl },
      );
      assertEquals(transport.getExtraInfo<SSLObject>("ssl_object")!.version(), "TLSv1.2", side);
      assertEquals(transport.getExtraInfo<[string, string, number]>("cipher")![1], "TLSv1.2");
      transport.close();
      await client.lost;
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("ssl=: a certificate that does not verify rejects with Deno.errors.InvalidData", async () => {
  const c = await certs();
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer();
    const port = portOf(server);
    const expiredSsl = createDefaultContext(Purpose.CLIENT_AUTH);
    expiredSsl.loadCertChain(c.expiredCert, c.expiredKey);
    const expired = await loop.createServer(() => new TlsEcho(), "127.0.0.1", 0, {
      ssl: expiredSsl,
    });
    const cases: [string, Record<string, unknown>, number][] = [
      [
        "an unknown CA",
        { ssl: createDefaultContext(Purpose.SERVER_AUTH, { cafile: c.otherCa }) },
        port,
      ],
      // ssl: true trusts Deno's default roots only, which did not sign the test CA.
      ["the default roots", { ssl: true }, port],
      ["a wrong host name", { ssl: await clientContext(), serverHostname: "example.com" }, port],
      // serverHostname "" turns the name check off, not the verification.
      ["ssl: true with serverHostname ''", { ssl: true, serverHostname: "" }, port],
      ["an expired certificate", { ssl: await clientContext() }, portOf(expired)],
      ["a context that trusts nothing", { ssl: new SSLContext() }, port],
    ];
    for (const [what, options, target] of cases) {
      const error = await caught(
        () => loop.createConnection(() => new Recorder(), "localhost", target, options),
        Deno.errors.InvalidData,
        "SSL handshake failed",
      );
      assert(error.message.length > 0, what);
    }
    // The server is unharmed.
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      port,
      { ssl: await clientContext() },
    );
    transport.write(encoder.encode("still"));
    await client.receivedAtLeast(5);
    transport.close();
    await client.lost;
    for (const s of [server, expired]) {
      s.close();
      await s.waitClosed();
    }
  });
});

Deno.test("ssl=: checks turned off: checkHostname = false, CERT_NONE", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer();
    const port = portOf(server);
    const noHost = await clientContext();
    noHost.checkHostname = false;
    const noVerify = createDefaultContext();
    noVerify.checkHostname = false;
    noVerify.verifyMode = CERT_NONE;
    const cases: Record<string, unknown>[] = [
      { ssl: noHost, serverHostname: "example.com" },
      { ssl: noVerify },
    ];
    for (const options of cases) {
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        "127.0.0.1",
        port,
        options,
      );
      if (options.ssl === noHost) {
        assertEquals(
          (transport.getExtraInfo("peercert") as { subject: unknown }).subject,
          [[["commonName", "localhost"]], [["organizationName", "asyncio tests"]]],
        );
      } else {
        // Python gives an empty dictionary for a certificate it did not check.
        assertEquals(transport.getExtraInfo("peercert"), {});
      }
      transport.write(encoder.encode("ok"));
      await client.receivedAtLeast(2);
      transport.close();
      await client.lost;
    }
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: bad combinations throw at the call, as asyncio's ValueError/TypeError", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const factory = () => new Recorder();
    const client = await clientContext();
    const server = await serverContext();
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { serverHostname: "x" }),
      RangeError,
      "serverHostname is only meaningful with ssl",
    );
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { sslHandshakeTimeout: 1 }),
      RangeError,
      "sslHandshakeTimeout is only meaningful with ssl",
    );
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { ssl: client, sslHandshakeTimeout: 0 }),
      RangeError,
    );
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { ssl: client, sslShutdownTimeout: -1 }),
      RangeError,
    );
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { ssl: "yes" as unknown as true }),
      TypeError,
    );
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { ssl: server }),
      RangeError,
      "server context",
    );
    await caught(
      () => loop.createConnection(factory, "127.0.0.1", 1, { ssl: client, serverHostname: "" }),
      RangeError,
      "checkHostname requires serverHostname",
    );
    await caught(
      () => loop.createUnixConnection(factory, "/nonexistent.sock", { ssl: client }),
      RangeError,
      "You must set serverHostname",
    );
    await caught(
      () => loop.createServer(factory, "127.0.0.1", 0, { ssl: true as unknown as SSLContext }),
      TypeError,
    );
    await caught(
      () => loop.createServer(factory, "127.0.0.1", 0, { sslHandshakeTimeout: 1 }),
      RangeError,
    );
    await caught(
      () => loop.createServer(factory, "127.0.0.1", 0, { ssl: client }),
      RangeError,
    );
    await caught(
      () =>
        loop.createServer(factory, "127.0.0.1", 0, { ssl: new SSLContext(PROTOCOL_TLS_SERVER) }),
      RangeError,
      "loadCertChain",
    );
    const wantsClientCerts = await serverContext();
    wantsClientCerts.verifyMode = CERT_REQUIRED;
    await caught(
      () => loop.createServer(factory, "127.0.0.1", 0, { ssl: wantsClientCerts }),
      NotImplementedError,
      "client certificates",
    );
  });
});

// ---- timeouts -----------------------------------------------------------------------

Deno.test("sslHandshakeTimeout: a client whose server never answers rejects with ConnectionAborted", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const silent = await loop.createServer(() => new Recorder(), "127.0.0.1", 0);
    const ssl = await clientContext();
    const started = loop.time();
    const error = await caught(
      () =>
        loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(silent), {
          ssl,
          sslHandshakeTimeout: 0.2,
        }),
      Deno.errors.ConnectionAborted,
    );
    const elapsed = loop.time() - started;
    assert(elapsed >= 0.19 && elapsed < 2, `took ${elapsed} s`);
    assert(error.message.includes("0.2 seconds"), error.message);
    silent.close();
    silent.closeClients();
    await silent.waitClosed();
  });
});

Deno.test("sslHandshakeTimeout: the server drops a client that never sends its ClientHello, and serves the others meanwhile", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer({ sslHandshakeTimeout: 0.2 });
    const port = portOf(server);
    const started = loop.time();
    const stuck = await Deno.connect({ hostname: "127.0.0.1", port });
    const stuckRead = stuck.read(new Uint8Array(16)).catch((error) => error);
    // Another client, meanwhile: not held up.
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      port,
      { ssl: await clientContext() },
    );
    transport.write(encoder.encode("meanwhile"));
    await client.receivedAtLeast(9);
    const servedAfter = loop.time() - started;
    assert(servedAfter < 0.2, `the other client waited ${servedAfter} s`);
    transport.close();
    await client.lost;
    // The stuck one is dropped: its TCP connection ends.
    const result = await stuckRead;
    const droppedAfter = loop.time() - started;
    assert(result === null || result instanceof Deno.errors.ConnectionReset, String(result));
    assert(droppedAfter >= 0.19 && droppedAfter < 2, `dropped after ${droppedAfter} s`);
    stuck.close();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("sslShutdownTimeout: close() with a peer that stops reading ends after the timeout", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const serverSide = loop.createFuture<Recorder>();
    const server = await loop.createServer(
      () => {
        const r = new Recorder();
        serverSide.setResult(r);
        return r;
      },
      "127.0.0.1",
      0,
      { ssl: await serverContext() },
    );
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { ssl: await clientContext(), sslShutdownTimeout: 0.2 },
    );
    const remote = await serverSide;
    await remote.made;
    remote.transport.pauseReading(); // and never reads again
    // More than the kernel's socket buffers hold (a few MiB each side).
    transport.write(new Uint8Array(48 * 1024 * 1024));
    const started = loop.time();
    transport.close(); // cannot flush: the shutdown times out
    const error = await client.lost;
    const elapsed = loop.time() - started;
    assert(
      error instanceof Deno.errors.TimedOut,
      `${error} ${client.events} / ${remote.events} ${remote.receivedLength}`,
    );
    assert(elapsed >= 0.19 && elapsed < 2, `took ${elapsed} s`);
    // A transport that does not read does not see its peer go: end it.
    remote.transport.abort();
    await remote.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: cancelling createConnection during the handshake aborts the connection", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    // A plain TCP server that never answers the ClientHello.
    const peer = loop.createFuture<Recorder>();
    const silent = await loop.createServer(
      () => {
        const r = new Recorder();
        if (!peer.done()) peer.setResult(r);
        return r;
      },
      "127.0.0.1",
      0,
    );
    const task = loop.createTask(() =>
      loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(silent), {
        ssl: createDefaultContext(),
        serverHostname: "localhost",
      })
    );
    const remote = await peer;
    await remote.receivedAtLeast(1); // the ClientHello
    task.cancel();
    await caught(() => task as unknown as Promise<unknown>, Error);
    assertEquals(task.cancelled(), true);
    await remote.lost;
    silent.close();
    await silent.waitClosed();
  });
});

// ---- the data path ----------------------------------------------------------------------

Deno.test("ssl=: 4 MiB each way with checksums; flow control pauses a writer whose peer does not read", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer();
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { ssl: await clientContext() },
    );
    const data = randomBytes(4 * 1024 * 1024 + 7);
    transport.write(data);
    assert(client.events.includes("pause"), "4 MiB is above the high-water mark");
    await client.receivedAtLeast(data.length);
    assertEquals(await sha256(client.received()), await sha256(data));
    assert(client.events.includes("resume"));
    assertEquals(transport.getWriteBufferSize(), 0);
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: pauseReading holds the data back; resumeReading delivers it all", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const serverSide = loop.createFuture<Transport>();
    class Holder extends Recorder {
      override connectionMade(transport: Transport): void {
        super.connectionMade(transport);
        transport.pauseReading();
        serverSide.setResult(transport);
      }
    }
    const holder = loop.createFuture<Holder>();
    const server = await loop.createServer(
      () => {
        const h = new Holder();
        holder.setResult(h);
        return h;
      },
      "127.0.0.1",
      0,
      { ssl: await serverContext() },
    );
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { ssl: await clientContext() },
    );
    const remote = await serverSide;
    const h = await holder;
    assertEquals(remote.isReading(), false);
    const data = randomBytes(1024 * 1024);
    transport.write(data);
    assert(client.events.includes("pause"), "1 MiB is above the high-water mark");
    assertEquals(h.receivedLength, 0);
    remote.resumeReading();
    await h.receivedAtLeast(data.length);
    assertEquals(await sha256(h.received()), await sha256(data));
    transport.close();
    await client.lost;
    await h.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: abort() drops the connection at once; the peer sees it end", async () => {
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
      { ssl: await serverContext() },
    );
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { ssl: await clientContext() },
    );
    transport.write(randomBytes(1024 * 1024));
    transport.abort();
    assertEquals(await client.lost, null);
    const remote = await peer;
    await remote.lost;
    assert(!remote.events.includes("eof") || remote.events.at(-1) === "lost");
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: returning true from eofReceived has no effect: the transport closes, with a warning", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const warnings: string[] = [];
    const saved = logger.warning;
    logger.warning = (message) => warnings.push(message);
    try {
      class Closer extends Protocol {
        override connectionMade(transport: Transport): void {
          transport.close();
        }
      }
      const server = await loop.createServer(() => new Closer(), "127.0.0.1", 0, {
        ssl: await serverContext(),
      });
      const [, client] = await loop.createConnection(
        () => {
          const r = new Recorder();
          r.keepOpenOnEof = true;
          return r;
        },
        "localhost",
        portOf(server),
        { ssl: await clientContext() },
      );
      assertEquals(await client.lost, null);
      assertEquals(client.events, ["made", "eof", "lost"]);
      assert(warnings.some((w) => w.includes("eofReceived")), warnings.join("\n"));
      server.close();
      await server.waitClosed();
    } finally {
      logger.warning = saved;
    }
  });
});

Deno.test("ssl=: server.closeClients() ends TLS connections; abortClients() too", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer();
    const port = portOf(server);
    const connect = () =>
      clientContext().then((ssl) =>
        loop.createConnection(() => new Recorder(), "localhost", port, { ssl })
      );
    const [[, a], [, b]] = await Promise.all([connect(), connect()]);
    server.closeClients();
    await a.lost;
    await b.lost;
    const [, c] = await connect();
    server.abortClients();
    await c.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: 40 concurrent TLS clients", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await tlsEchoServer();
    const port = portOf(server);
    const ssl = await clientContext();
    await Promise.all(Array.from({ length: 40 }, async (_, i) => {
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        "localhost",
        port,
        { ssl },
      );
      const text = `client ${i}`;
      transport.write(encoder.encode(text));
      await client.receivedAtLeast(text.length);
      assertEquals(decoder.decode(client.received()), text);
      transport.close();
      await client.lost;
    }));
    server.close();
    await server.waitClosed();
  });
});

Deno.test("ssl=: over Unix sockets (serverHostname given), and connectAcceptedSocket as the server side", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/tls.sock`;
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const server = await loop.createUnixServer(() => new TlsEcho(), path, {
        ssl: await serverContext(),
      });
      const [transport, client] = await loop.createUnixConnection(() => new Recorder(), path, {
        ssl: await clientContext(),
        serverHostname: "localhost",
      });
      assertEquals(transport.getExtraInfo("peername"), path);
      transport.write(encoder.encode("unix"));
      await client.receivedAtLeast(4);
      transport.close();
      await client.lost;
      server.close();
      await server.waitClosed();

      // connectAcceptedSocket: a connection accepted by Deno itself.
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const accepting = listener.accept();
      const connecting = loop.createConnection(
        () => new Recorder(),
        "localhost",
        (listener.addr as Deno.NetAddr).port,
        { ssl: await clientContext() },
      );
      const [accepted, echo] = await connectAcceptedSocket(
        loop,
        () => new TlsEcho(),
        await accepting,
        { ssl: await serverContext() },
      );
      const [t2, c2] = await connecting;
      assert(accepted.getExtraInfo("sslcontext") !== undefined);
      t2.write(encoder.encode("accepted"));
      await c2.receivedAtLeast(8);
      t2.close();
      await c2.lost;
      await echo.lost;
      listener.close();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- interop with CPython ------------------------------------------------------------------

const PY_TLS_ECHO_SERVER = `
import asyncio, json, ssl, sys
cert, key, ca, mode = sys.argv[1:5]
class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        sslobj = transport.get_extra_info("ssl_object")
        self.info = {"alpn": sslobj.selected_alpn_protocol(), "peercert": transport.get_extra_info("peercert")}
        if mode == "client-cert":
            transport.write((json.dumps(self.info["peercert"]) + "\\n").encode())
    def data_received(self, data):
        self.transport.write(data)
async def main():
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["py", "http/1.1"])
    if mode == "client-cert":
        ctx.load_verify_locations(cafile=ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0, ssl=ctx)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
`;

Deno.test("interop: this library's TLS client against a CPython asyncio ssl server", async () => {
  const c = await certs();
  const peer = await startPython(PY_TLS_ECHO_SERVER, c.serverCert, c.serverKey, c.ca, "echo");
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const ssl = await clientContext();
      ssl.setAlpnProtocols(["http/1.1", "py"]);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        "localhost",
        peer.ready.port as number,
        { ssl },
      );
      assertEquals(transport.getExtraInfo<SSLObject>("ssl_object")!.selectedAlpnProtocol(), "py");
      const data = randomBytes(2 * 1024 * 1024 + 5);
      transport.write(data);
      await client.receivedAtLeast(data.length);
      assertEquals(await sha256(client.received()), await sha256(data));
      transport.close();
      assertEquals(await client.lost, null);
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

Deno.test("interop: a client certificate presented to a CPython server that requires one", async () => {
  const c = await certs();
  const peer = await startPython(
    PY_TLS_ECHO_SERVER,
    c.serverCert,
    c.serverKey,
    c.ca,
    "client-cert",
  );
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const ssl = await clientContext();
      ssl.loadCertChain(c.clientCert, c.clientKey);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        "localhost",
        peer.ready.port as number,
        { ssl },
      );
      while (!decoder.decode(client.received()).includes("\n")) {
        await client.receivedAtLeast(client.receivedLength + 1);
      }
      const seen = JSON.parse(decoder.decode(client.received()));
      assertEquals(seen.subject, [[["commonName", "client"]]]);
      transport.close();
      await client.lost;
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

const PY_TLS_CLIENT = `
import asyncio, hashlib, json, os, ssl, sys
async def main():
    port, size, ca = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    print(json.dumps({"started": True}), flush=True)
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["deno", "py"])
    data = os.urandom(size)
    reader, writer = await asyncio.open_connection("localhost", port, ssl=ctx)
    writer.write(data)
    await writer.drain()
    received = await reader.readexactly(size)
    info = {
        "sent": hashlib.sha256(data).hexdigest(),
        "received": hashlib.sha256(received).hexdigest(),
        "alpn": writer.get_extra_info("ssl_object").selected_alpn_protocol(),
        "version": writer.get_extra_info("ssl_object").version(),
        "subject": writer.get_extra_info("peercert")["subject"],
    }
    writer.close()
    await writer.wait_closed()
    print(json.dumps(info), flush=True)
asyncio.run(main())
`;

Deno.test("interop: a CPython asyncio ssl client against this library's TLS server", async () => {
  const c = await certs();
  await run(async () => {
    const loop = getRunningLoop();
    const ssl = await serverContext();
    ssl.setAlpnProtocols(["deno"]);
    const lost = loop.createFuture<Error | null>();
    const server = await loop.createServer(
      () => {
        const echo = new TlsEcho();
        echo.lost.addDoneCallback((f) => lost.done() || lost.setResult(f.result()));
        return echo;
      },
      "127.0.0.1",
      0,
      { ssl },
    );
    const size = 1024 * 1024 + 3;
    const peer = await startPython(PY_TLS_CLIENT, String(portOf(server)), String(size), c.ca);
    try {
      const { code, stdout, stderr } = await peer.finished;
      assertEquals(code, 0, stderr);
      const info = JSON.parse(stdout.trim().split("\n").at(-1)!);
      assertEquals(info.received, info.sent);
      assertEquals(info.alpn, "deno");
      assertEquals(info.version, "TLSv1.3");
      assertEquals(info.subject, [
        [["commonName", "localhost"]],
        [["organizationName", "asyncio tests"]],
      ]);
      assertEquals(await lost, null);
    } finally {
      peer.kill();
    }
    server.close();
    await server.waitClosed();
  });
});
