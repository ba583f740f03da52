import {
  AF_INET,
  CancelledError,
  createTask,
  getRunningLoop,
  run,
  RuntimeError,
  Server,
  sleep,
  type Transport,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { decoder, Echo, encoder, portOf, Recorder } from "./_helpers.ts";

async function echoOnce(port: number, host = "127.0.0.1", text = "hello"): Promise<string> {
  const [transport, client] = await getRunningLoop().createConnection(
    () => new Recorder(),
    host,
    port,
  );
  transport.write(encoder.encode(text));
  await client.receivedAtLeast(text.length);
  transport.close();
  await client.lost;
  return decoder.decode(client.received());
}

Deno.test("createServer: port 0 picks a free port; sockets, getLoop, isServing", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    assert(server instanceof Server);
    assertStrictEquals(server.getLoop(), loop);
    assert(server.isServing());
    assertEquals(server.sockets.length, 1);
    const [host, port] = server.sockets[0].getsockname() as [string, number];
    assertEquals(host, "127.0.0.1");
    assert(port > 0);
    assertEquals(server.sockets[0].family, AF_INET);
    assertEquals(await echoOnce(port), "hello");
    server.close();
    assert(!server.isServing());
    assertEquals(server.sockets, []);
    await server.waitClosed();
    await server.waitClosed(); // again: returns at once
  });
});

Deno.test("createServer: a list of hosts, one port for all of them", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), ["127.0.0.1", "localhost"], 0);
    assertEquals(server.sockets.length, 1, "localhost is 127.0.0.1 here: one socket");
    const server2 = await loop.createServer(() => new Echo(), ["127.0.0.1", "127.0.0.2"], 0);
    const ports = server2.sockets.map((s) => (s.getsockname() as [string, number])[1]);
    assertEquals(ports.length, 2);
    assertEquals(ports[0], ports[1]);
    assertEquals(await echoOnce(ports[0], "127.0.0.2"), "hello");
    for (const s of [server, server2]) {
      s.close();
      await s.waitClosed();
    }
  });
});

Deno.test("createServer: no host listens on all interfaces; IPv4 peers show as IPv4", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const peers = loop.createFuture<[string, number]>();
    class Peer extends Echo {
      override connectionMade(transport: Transport): void {
        super.connectionMade(transport);
        if (!peers.done()) peers.setResult(transport.getExtraInfo<[string, number]>("peername")!);
      }
    }
    const server = await loop.createServer(() => new Peer(), undefined, 0);
    assertEquals(await echoOnce(portOf(server)), "hello");
    assertEquals((await peers)[0], "127.0.0.1");
    server.close();
    await server.waitClosed();
  });
});

Deno.test("createServer: the port of a listening server is AddrInUse", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    await assertRejects(
      () => loop.createServer(() => new Echo(), "127.0.0.1", portOf(server)),
      Deno.errors.AddrInUse,
    );
    server.close();
    await server.waitClosed();
  });
});

Deno.test("createServer: bad arguments are refused at the call", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const factory = () => new Echo();
    await assertRejects(() => loop.createServer(factory, "127.0.0.1", 65536), RangeError);
    await assertRejects(() => loop.createServer(factory, 5 as unknown as string, 0), TypeError);
    await assertRejects(
      () => loop.createServer(null as unknown as () => Echo, "127.0.0.1", 0),
      TypeError,
    );
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    await assertRejects(
      () => loop.createServer(factory, "127.0.0.1", 0, { sock: listener }),
      RangeError,
    );
    listener.close();
  });
});

Deno.test("createServer: sock serves an existing Deno.Listener", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const server = await loop.createServer(() => new Echo(), undefined, undefined, {
      sock: listener,
    });
    assertStrictEquals(server.sockets[0].resource, listener);
    assertEquals(await echoOnce((listener.addr as Deno.NetAddr).port), "hello");
    server.close();
    await server.waitClosed();
  });
});

Deno.test("startServing: false accepts nothing until startServing()", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let made = 0;
    const server = await loop.createServer(
      () => {
        made++;
        return new Echo();
      },
      "127.0.0.1",
      0,
      { startServing: false },
    );
    assert(!server.isServing());
    const pending = createTask(() => echoOnce(portOf(server)));
    await sleep(0.05);
    assertEquals(made, 0);
    await server.startServing();
    assert(server.isServing());
    assertEquals(await pending, "hello");
    assertEquals(made, 1);
    server.close();
    await server.waitClosed();
  });
});

Deno.test("serveForever: cancelling it closes the server; twice is an error", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    const forever = createTask(() => server.serveForever());
    await sleep(0);
    await assertRejects(() => server.serveForever(), RuntimeError);
    assertEquals(await echoOnce(portOf(server)), "hello");
    forever.cancel();
    await assertRejects(() => forever, CancelledError);
    assert(!server.isServing());
    assertEquals(server.sockets, []);
    await assertRejects(() => server.serveForever(), RuntimeError);
  });
});

Deno.test("waitClosed waits for the accepted connections; closeClients closes them", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Recorder(), "127.0.0.1", 0);
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    server.close();
    let closed = false;
    const waiting = createTask(async () => {
      await server.waitClosed();
      closed = true;
    });
    await sleep(0.02);
    assert(!closed, "a client is still connected");
    server.closeClients();
    await waiting;
    assert(closed);
    await client.lost;
    assert(transport.isClosing());
  });
});

Deno.test("await using closes the server and waits", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let server!: Server;
    {
      await using s = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
      server = s;
      assertEquals(await echoOnce(portOf(s)), "hello");
    }
    assert(!server.isServing());
  });
});

Deno.test("a protocol factory that throws is reported; the server goes on", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reports: string[] = [];
    loop.setExceptionHandler((_l, context) => reports.push(context.message));
    let calls = 0;
    const server = await loop.createServer(
      () => {
        if (++calls === 1) throw new Error("factory bug");
        return new Echo();
      },
      "127.0.0.1",
      0,
    );
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    await client.lost;
    assert(transport.isClosing());
    assertEquals(reports, ["Error on transport creation for incoming connection"]);
    assertEquals(await echoOnce(portOf(server)), "hello");
    server.close();
    await server.waitClosed();
  });
});

Deno.test("createUnixServer: replaces a stale socket file, refuses other files, removes its file", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const dir = Deno.makeTempDirSync();
    const path = `${dir}/server.sock`;
    // A socket file left behind, as by a crashed run.
    const stale = Deno.listen({ transport: "unix", path });
    stale.close();
    try {
      Deno.lstatSync(path);
    } catch {
      // Deno removed it on close: make a stale one by hand.
      const again = Deno.listen({ transport: "unix", path });
      Deno.renameSync(path, `${path}.keep`);
      again.close();
      Deno.renameSync(`${path}.keep`, path);
    }
    assert(Deno.lstatSync(path).isSocket);
    const server = await loop.createUnixServer(() => new Echo(), path);
    assertEquals(server.sockets[0].getsockname(), path);
    const [transport, client] = await loop.createUnixConnection(() => new Recorder(), path);
    transport.write(encoder.encode("unix"));
    await client.receivedAtLeast(4);
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
    let exists = true;
    try {
      Deno.lstatSync(path);
    } catch {
      exists = false;
    }
    assert(!exists, "the socket file is removed on close");

    const plain = `${dir}/plain-file`;
    Deno.writeTextFileSync(plain, "not a socket");
    await assertRejects(
      () => loop.createUnixServer(() => new Echo(), plain),
      Deno.errors.AddrInUse,
    );
    assertEquals(Deno.readTextFileSync(plain), "not a socket");
    await assertRejects(() => loop.createUnixServer(() => new Echo()), RangeError);
    Deno.removeSync(dir, { recursive: true });
  });
});

Deno.test("abortClients drops the connections at once", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const accepted: Recorder[] = [];
    const allAccepted = loop.createFuture<void>();
    const server = await loop.createServer(
      () => {
        const protocol = new Recorder();
        if (accepted.push(protocol) === 3) allAccepted.setResult();
        return protocol;
      },
      "127.0.0.1",
      0,
    );
    const clients = await Promise.all(
      [1, 2, 3].map(() => loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(server))),
    );
    await allAccepted;
    for (const protocol of accepted) await protocol.made;
    server.abortClients();
    for (const [, client] of clients) await client.lost;
    server.close();
    await server.waitClosed();
  });
});
