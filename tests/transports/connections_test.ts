import {
  AF_INET,
  CancelledError,
  createTask,
  ExceptionGroup,
  getRunningLoop,
  NotImplementedError,
  run,
  sleep,
  TransportSocket,
} from "../../mod.ts";
import { connectStaggered, interleaveAddrinfos } from "../../transports/_happy_eyeballs.ts";
import type { AddrInfo } from "../../transports/dns.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { decoder, Echo, encoder, portOf, Recorder } from "./_helpers.ts";

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function info(port: number, family = AF_INET, host = "127.0.0.1"): AddrInfo {
  return [family, 1, 6, "", [host, port]];
}

Deno.test("createConnection: a refused connection rejects with Deno's ConnectionRefused", async () => {
  await run(async () => {
    await assertRejects(
      () => getRunningLoop().createConnection(() => new Recorder(), "127.0.0.1", closedPort()),
      Deno.errors.ConnectionRefused,
    );
  });
});

Deno.test("createConnection: allErrors gives an ExceptionGroup of every attempt", async () => {
  await run(async () => {
    const error = await getRunningLoop().createConnection(
      () => new Recorder(),
      "127.0.0.1",
      closedPort(),
      { allErrors: true },
    ).catch((e) => e);
    assert(error instanceof ExceptionGroup);
    assert(error.exceptions[0] instanceof Deno.errors.ConnectionRefused);
  });
});

Deno.test("createConnection: bad arguments are refused at the call", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const factory = () => new Recorder();
    await assertRejects(() => loop.createConnection(factory), RangeError);
    await assertRejects(() => loop.createConnection(factory, "127.0.0.1", 70000), RangeError);
    await assertRejects(() => loop.createConnection(factory, "127.0.0.1", -1), RangeError);
    await assertRejects(() => loop.createConnection(factory, "127.0.0.1", 1.5), TypeError);
    await assertRejects(
      () => loop.createConnection(factory, 42 as unknown as string, 80),
      TypeError,
    );
    await assertRejects(
      () => loop.createConnection("nope" as unknown as () => Recorder, "127.0.0.1", 80),
      TypeError,
    );
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: (listener.addr as Deno.NetAddr).port,
    });
    await assertRejects(
      () => loop.createConnection(factory, "127.0.0.1", 80, { sock: conn }),
      RangeError,
    );
    conn.close();
    listener.close();
    await assertRejects(
      () => loop.createConnection(factory, "127.0.0.1", 80, { localAddr: ["127.0.0.1", 0] }),
      NotImplementedError,
    );
    await assertRejects(
      () => loop.createConnection(factory, "no-such-host.invalid", 80),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("createConnection: sock takes an existing Deno.Conn or TransportSocket", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    for (const wrap of [(c: Deno.Conn) => c, (c: Deno.Conn) => new TransportSocket(c)]) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: portOf(server) });
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        undefined,
        undefined,
        {
          sock: wrap(conn),
        },
      );
      assertStrictEquals(transport.getExtraInfo("socket"), conn);
      transport.write(encoder.encode("ping"));
      await client.receivedAtLeast(4);
      assertEquals(decoder.decode(client.received()), "ping");
      transport.close();
      await client.lost;
    }
    server.close();
    await server.waitClosed();
  });
});

Deno.test("connectAcceptedSocket wraps a connection accepted with Deno.listen", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const clientConn = Deno.connect({
      hostname: "127.0.0.1",
      port: (listener.addr as Deno.NetAddr).port,
    });
    const accepted = await listener.accept();
    const [transport, protocol] = await loop.connectAcceptedSocket(() => new Echo(), accepted);
    const conn = await clientConn;
    await conn.write(encoder.encode("hello"));
    const buffer = new Uint8Array(5);
    let got = 0;
    while (got < 5) got += (await conn.read(buffer.subarray(got)))!;
    assertEquals(decoder.decode(buffer), "hello");
    conn.close();
    await protocol.lost;
    assert(transport.isClosing());
    listener.close();
  });
});

Deno.test("createConnection: resolving localhost connects", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "localhost",
      portOf(server),
      { family: AF_INET },
    );
    assertEquals(transport.getExtraInfo<[string, number]>("peername")![0], "127.0.0.1");
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("Happy Eyeballs: a refused address is skipped at once, the next one wins", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const open = (listener.addr as Deno.NetAddr).port;
    const start = loop.time();
    const conn = await connectStaggered(loop, [info(closedPort()), info(open)], 10, false);
    assert(loop.time() - start < 5, "the failure started the next attempt without the delay");
    assertEquals((conn.remoteAddr as Deno.NetAddr).port, open);
    conn.close();
    listener.close();
  });
});

Deno.test("Happy Eyeballs: with every address refused, the errors are combined", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const error = await connectStaggered(loop, [info(closedPort()), info(closedPort())], 0.01, true)
      .then(() => null, (e) => e);
    assert(error instanceof ExceptionGroup);
    assertEquals(error.exceptions.length, 2);
  });
});

Deno.test("Happy Eyeballs through createConnection: happyEyeballsDelay connects", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
      { happyEyeballsDelay: 0.25 },
    );
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("interleaveAddrinfos alternates the families (RFC 8305)", () => {
  const v6 = (p: number) => info(p, 10, "::1");
  const v4 = (p: number) => info(p);
  const ports = (list: AddrInfo[]) => list.map((i) => i[4][1]);
  assertEquals(ports(interleaveAddrinfos([v6(1), v6(2), v6(3), v4(4), v4(5)], 1)), [1, 4, 2, 5, 3]);
  assertEquals(ports(interleaveAddrinfos([v6(1), v6(2), v6(3), v4(4), v4(5)], 2)), [1, 2, 4, 3, 5]);
});

Deno.test("createConnection can be cancelled while it connects; nothing leaks", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const task = createTask(() =>
      loop.createConnection(() => new Recorder(), "127.0.0.1", (listener.addr as Deno.NetAddr).port)
    );
    await sleep(0);
    task.cancel();
    await assertRejects(() => task, CancelledError);
    // The connection that completes after the cancellation is closed.
    const accepted = await listener.accept();
    const n = await accepted.read(new Uint8Array(1));
    assertStrictEquals(n, null);
    accepted.close();
    listener.close();
  });
});

Deno.test("createUnixConnection: connects to a Unix server; peername is the path", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const dir = Deno.makeTempDirSync();
    const path = `${dir}/echo.sock`;
    const server = await loop.createUnixServer(() => new Echo(), path);
    const [transport, client] = await loop.createUnixConnection(() => new Recorder(), path);
    assertEquals(transport.getExtraInfo("peername"), path);
    transport.write(encoder.encode("over unix"));
    await client.receivedAtLeast(9);
    assertEquals(decoder.decode(client.received()), "over unix");
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
    Deno.removeSync(dir, { recursive: true });
    await assertRejects(() => loop.createUnixConnection(() => new Recorder()), RangeError);
    await assertRejects(
      () => loop.createUnixConnection(() => new Recorder(), `${dir}/missing.sock`),
      Deno.errors.NotFound,
    );
  });
});
